import type { AnyJobDefinition } from '../core/define-job.ts';
import { KilnError } from '../core/errors.ts';
import type { ArtifactInfo } from '../core/model.ts';
import type { ClaimedJob, Fence } from '../store/store.ts';
import { ProgressBuffer } from './progress-buffer.ts';

/** Why the worker stopped waiting for a handler. */
export type Interrupt = 'timeout' | 'heartbeat' | 'lost' | 'shutdown';

const INTERRUPT_ERRORS: Record<Interrupt, () => KilnError> = {
  timeout: () => new KilnError('TIMEOUT', 'the attempt ran past its timeout'),
  heartbeat: () =>
    new KilnError('HEARTBEAT_TIMEOUT', 'the handler sent no heartbeat or progress in time'),
  lost: () => new KilnError('LEASE_LOST', 'the job was cancelled or its lease was lost'),
  shutdown: () => new KilnError('LEASE_LOST', 'the worker is shutting down'),
};

/** Artifact access, shared by every attempt of a worker (no closures per attempt). */
export interface ArtifactAccess {
  write(
    attempt: Attempt,
    name: string,
    data: Uint8Array,
    contentType: string | null,
  ): Promise<void>;
  list(attempt: Attempt): Promise<ArtifactInfo[]>;
  read(attempt: Attempt, name: string): Promise<Buffer>;
}

/**
 * One attempt held by this worker: its fence, its progress buffer and its abort
 * signal. The AbortController is made only when a handler asks for the signal (it is
 * measurable at 100k jobs/s), and fired at once if the attempt was already interrupted.
 */
export class Attempt {
  readonly job: ClaimedJob;
  readonly fence: Fence;
  readonly definition: AnyJobDefinition;
  /** Made on the first report: most short jobs report nothing. */
  private reports: ProgressBuffer | undefined;
  /** When the handler last showed it is alive (started, reported, heartbeat). */
  lastAliveMs = Date.now();
  interrupted: Interrupt | undefined;
  /** Set once the worker has the attempt's outcome: anything after it is ignored. */
  finished = false;
  /** Set by the worker while it waits for the handler; told of an interrupt at once. */
  private interruptListener: ((attempt: Attempt, why: Interrupt) => void) | undefined;
  private controller: AbortController | undefined;
  private abortListeners: ((reason: KilnError) => void)[] | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  private readonly artifacts: ArtifactAccess;
  private readonly onDirty: (attempt: Attempt) => void;

  constructor(
    job: ClaimedJob,
    owner: string,
    definition: AnyJobDefinition,
    artifacts: ArtifactAccess,
    onDirty: (attempt: Attempt) => void,
  ) {
    this.job = job;
    this.fence = { id: job.id, attempt: job.attempt, owner, row: job.row };
    this.definition = definition;
    this.artifacts = artifacts;
    this.onDirty = onDirty;
  }

  /**
   * Calls `listener` on interrupt (at once if the attempt was interrupted already). The
   * listener gets the attempt, so one function serves every attempt of a worker.
   */
  onInterrupt(listener: (attempt: Attempt, why: Interrupt) => void): void {
    this.interruptListener = listener;
    if (this.interrupted) listener(this, this.interrupted);
  }

  writeArtifact(name: string, data: Uint8Array, contentType: string | null): Promise<void> {
    return this.artifacts.write(this, name, data, contentType);
  }

  listArtifacts(): Promise<ArtifactInfo[]> {
    return this.artifacts.list(this);
  }

  readArtifact(name: string): Promise<Buffer> {
    return this.artifacts.read(this, name);
  }

  /** What the handler reported since the last flush. */
  get buffer(): ProgressBuffer {
    this.reports ??= new ProgressBuffer();
    return this.reports;
  }

  /** True when the handler reported something not yet written. */
  get dirty(): boolean {
    return this.reports?.dirty ?? false;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.interrupted) this.controller.abort(INTERRUPT_ERRORS[this.interrupted]());
    }
    return this.controller.signal;
  }

  onAbort(listener: (reason: KilnError) => void): void {
    this.abortListeners ??= [];
    this.abortListeners.push(listener);
  }

  interrupt(why: Interrupt): void {
    if (this.interrupted) return;
    this.interrupted = why;
    const reason = INTERRUPT_ERRORS[why]();
    this.controller?.abort(reason);
    for (const l of this.abortListeners ?? []) l(reason);
    this.interruptListener?.(this, why);
  }

  interruptError(): KilnError {
    return INTERRUPT_ERRORS[this.interrupted ?? 'lost']();
  }

  /** Something arrived from the handler: it is alive, and the buffer has news. */
  touched(): void {
    this.lastAliveMs = Date.now();
    if (this.dirty) this.onDirty(this);
  }
}
