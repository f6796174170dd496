import { randomBytes } from 'node:crypto';
import type { AnyJobDefinition } from '../core/define-job.ts';
import { checkOptionNames, KilnError } from '../core/errors.ts';
import { validateParams } from '../core/schema.ts';
import type {
  ClaimedJob,
  Fence,
  ProgressFlush,
  Settle,
  StalledSettle,
  Store,
  TurnInput,
} from '../store/store.ts';
import { type ArtifactAccess, Attempt, type Interrupt } from './attempt.ts';
import { type AttemptRef, WorkerEvents } from './events.ts';
import { newWorkerId } from './liveness.ts';
import { decide, type Outcome } from './outcome.ts';
import { findStalled } from './reaper.ts';
import { runInline } from './runners/inline.ts';
import { runInProcess } from './runners/process.ts';
import { settledUnheard } from './settled-unheard.ts';

export interface WorkerOptions {
  /** Attempts this worker runs at once. Default 10. */
  concurrency?: number;
  /** Only these job types (default: every type the instance knows). */
  types?: string[];
  /** Lease length; a hung worker's job runs again this long after its last renewal. Default 8 s. */
  leaseMs?: number;
  /** How often leases are renewed, in one statement for all of them. Default 5 s. */
  renewEveryMs?: number;
  /** How often this worker looks for other workers' expired leases. Default 500 ms. */
  reapEveryMs?: number;
  /**
   * Expire at once the leases of workers on this host whose process is gone, instead of
   * waiting for the leases to lapse: a crashed worker's jobs run again within about
   * `reapEveryMs`. Default true.
   */
  detectDeadWorkers?: boolean;
  /** How often the worker checks that it still holds its jobs (cancel detection). Default 250 ms. */
  leaseCheckEveryMs?: number;
  /** Shortest gap between two progress writes of this worker. Default 1 ms. */
  progressFlushMs?: number;
  /** How often retention runs; 0 turns it off for this worker. Default 60 s. */
  pruneEveryMs?: number;
  /** Safety poll when idle, in case a commit notice was missed. Default 1 s. */
  idlePollMs?: number;
  /** On stop: how long running attempts may take to finish before they are released. Default 10 s. */
  graceMs?: number;
  /** Isolated handlers that ignore an abort are killed this long after it. Default 5 s. */
  killGraceMs?: number;
  /** Stop on SIGTERM and SIGINT (default true for `kiln worker`, false in the library). */
  handleSignals?: boolean;
}

const WORKER_OPTIONS = [
  'concurrency',
  'types',
  'leaseMs',
  'renewEveryMs',
  'reapEveryMs',
  'detectDeadWorkers',
  'leaseCheckEveryMs',
  'progressFlushMs',
  'pruneEveryMs',
  'idlePollMs',
  'graceMs',
  'killGraceMs',
  'handleSignals',
] as const;

/**
 * 8 s: renewed every 5 s, a lease survives a 3 s stall of the worker's event loop, and a
 * hung or unreachable worker's job runs again within 10 s (8 s + reaper + first backoff).
 */
export const DEFAULT_LEASE_MS = 8_000;

/**
 * Claims due jobs and runs them. All store writes of one event-loop turn (settles,
 * progress, the next claim) go in one transaction: commits, not rows, decide the
 * throughput of an SQLite queue (docs/PERFORMANCE.md).
 */
export class Worker {
  readonly id: string;
  readonly events = new WorkerEvents();
  private readonly store: Store;
  private readonly definitions: Map<string, AnyJobDefinition>;
  private readonly o: Required<Omit<WorkerOptions, 'types'>>;
  private readonly active = new Map<string, Attempt>();
  private readonly claimTypes: { type: string; cap: number | null }[];
  /** Decisions waiting for the next turn, with the job type for the events. */
  private settles: Settle[] = [];
  /** The job type of each of `settles`, for the events (kept apart: no wrapper per job). */
  private settleTypes: string[] = [];
  /** Leases held for attempts this worker is not running, at the last renewal (releaseStrays). */
  private strays = new Set<string>();
  private reaps: StalledSettle[] = [];
  /** Flushes of a turn that failed (rolled back, or committed unheard), sent again next turn. */
  private retryFlushes: ProgressFlush[] = [];
  /** The settles of the failed turn `retryFlushes` came from: they go with those flushes. */
  private readonly retrySettles = new Set<Settle>();
  private readonly dirty = new Set<Attempt>();
  private turnQueued = false;
  private turnRunning = false;
  /**
   * A lease renewal in flight, or waiting for the turn in flight to end. Renewals and
   * turns never overlap: both update this worker's running rows, in different orders,
   * and two such statements can deadlock on PostgreSQL (one is aborted after a second).
   */
  private renewal: 'waiting' | 'running' | undefined;
  private renewalMayStart: (() => void) | undefined;
  private turnAgain = false;
  private lastFlushMs = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private leaseCheckQueued = false;
  private readonly signalHandler = () => void this.stop();

  constructor(
    store: Store,
    definitions: Map<string, AnyJobDefinition>,
    options: WorkerOptions = {},
  ) {
    checkOptionNames('work', options, WORKER_OPTIONS);
    this.store = store;
    this.id = newWorkerId(randomBytes(4).toString('hex'));
    this.o = {
      concurrency: options.concurrency ?? 10,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      renewEveryMs: options.renewEveryMs ?? 5_000,
      reapEveryMs: options.reapEveryMs ?? 500,
      detectDeadWorkers: options.detectDeadWorkers ?? true,
      leaseCheckEveryMs: options.leaseCheckEveryMs ?? 250,
      progressFlushMs: options.progressFlushMs ?? 1,
      pruneEveryMs: options.pruneEveryMs ?? 60_000,
      idlePollMs: options.idlePollMs ?? 1_000,
      graceMs: options.graceMs ?? 10_000,
      killGraceMs: options.killGraceMs ?? 5_000,
      handleSignals: options.handleSignals ?? false,
    };
    if (!Number.isInteger(this.o.concurrency) || this.o.concurrency < 1) {
      throw new KilnError('INVALID_ARGUMENT', 'concurrency must be a positive integer');
    }
    if (this.o.renewEveryMs >= this.o.leaseMs) {
      throw new KilnError('INVALID_ARGUMENT', 'renewEveryMs must be shorter than leaseMs');
    }
    const types = options.types ?? [...definitions.keys()];
    for (const t of types) {
      if (!definitions.has(t))
        throw new KilnError('UNKNOWN_JOB_TYPE', `worker asked to run unknown job type \`${t}\``);
    }
    if (types.length === 0)
      throw new KilnError('INVALID_ARGUMENT', 'a worker needs at least one job type');
    this.definitions = definitions;
    this.claimTypes = types.map((type) => ({
      type,
      cap: definitions.get(type)!.concurrency ?? null,
    }));
  }

  /** Starts claiming, and returns the worker. */
  start(): this {
    this.unsubscribe = this.store.onCommit(() => this.onCommit());
    this.every(this.o.renewEveryMs, () => this.renew());
    this.every(this.o.reapEveryMs, () => this.reap());
    this.every(this.o.leaseCheckEveryMs, () => this.checkLeases());
    this.every(Math.min(500, this.o.leaseCheckEveryMs * 2), () => this.checkHeartbeats());
    if (this.o.pruneEveryMs > 0) this.every(this.o.pruneEveryMs, () => this.prune());
    if (this.o.handleSignals) {
      process.once('SIGTERM', this.signalHandler);
      process.once('SIGINT', this.signalHandler);
    }
    this.queueTurn();
    return this;
  }

  get running(): number {
    return this.active.size;
  }

  /**
   * Graceful stop: claim nothing more, let running attempts finish within `graceMs`,
   * then release the rest so another worker takes them at once.
   */
  stop(graceMs: number = this.o.graceMs): Promise<void> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    process.off('SIGTERM', this.signalHandler);
    process.off('SIGINT', this.signalHandler);
    const deadline = Date.now() + graceMs;
    while (this.active.size > 0 && Date.now() < deadline) {
      await sleep(Math.max(1, Math.min(20, deadline - Date.now())));
    }
    for (const attempt of this.active.values()) attempt.interrupt('shutdown');
    // Let the interrupted attempts queue their releases, then write everything. If the
    // store keeps failing, give up after a while: leases then expire and reapers retry.
    await sleep(0);
    const giveUpAt = Date.now() + 10_000;
    while (this.hasUnwritten() && Date.now() < giveUpAt) {
      await this.runTurn();
      if (this.turnRunning || this.renewal !== undefined) await sleep(1);
    }
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.flushTimer);
    clearTimeout(this.idleTimer);
    this.unsubscribe?.();
  }

  private every(ms: number, task: () => Promise<void> | void): void {
    const timer = setInterval(() => {
      if (this.stopping) return;
      Promise.resolve()
        .then(task)
        .catch((error: unknown) => this.events.emit('error', { error }));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private onCommit(): void {
    if (this.stopping) return;
    if (this.active.size < this.o.concurrency) this.queueTurn();
    // Another process may have cancelled one of our jobs: look soon, not on every commit.
    if (this.active.size > 0 && !this.leaseCheckQueued) {
      this.leaseCheckQueued = true;
      setTimeout(() => {
        this.leaseCheckQueued = false;
        void this.checkLeases().catch((error: unknown) => this.events.emit('error', { error }));
      }, 20).unref();
    }
  }

  private queueTurn(): void {
    if (this.turnQueued) return;
    this.turnQueued = true;
    setImmediate(() => {
      this.turnQueued = false;
      void this.runTurn();
    });
  }

  private markDirty = (attempt: Attempt): void => {
    this.dirty.add(attempt);
    if (this.flushTimer !== undefined || this.turnQueued) return;
    const wait = this.lastFlushMs + this.o.progressFlushMs - performance.now();
    if (wait <= 0) this.queueTurn();
    else
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.queueTurn();
      }, wait);
  };

  private async runTurn(): Promise<void> {
    if (this.turnRunning || this.renewal === 'running') {
      this.turnAgain = true;
      return;
    }
    this.turnRunning = true;
    let turn: PendingTurn | null = null;
    try {
      turn = this.collectTurn();
      if (turn === null) return;
      const { input } = turn;
      // Jobs due by now are claimed by this turn if this worker can claim them at all.
      const claimedUpToMs = this.store.nowMs();
      const result = await this.store.turn(input);
      this.afterTurn(turn, result.settled, result.reaped, result.lostFences);
      for (const job of result.claimed) this.startAttempt(job);
      if (input.claim && result.claimed.length === input.claim.limit) this.turnAgain = true;
      else if (input.claim) await this.sleepUntilDue(claimedUpToMs);
    } catch (error) {
      this.events.emit('error', { error });
      // The store was busy or failed: the transaction rolled back, or (a connection lost
      // after the commit) it committed unheard. Queue it again (a lost completion would
      // run the job twice; flush marks keep a re-sent flush from counting twice), and
      // try again shortly rather than spin.
      if (turn) this.requeue(turn);
      await sleep(50);
      this.turnAgain = true;
    } finally {
      this.turnRunning = false;
      // A renewal waiting for this turn goes first; a turn queued now waits for it.
      const start = this.renewalMayStart;
      this.renewalMayStart = undefined;
      if (start) {
        this.renewal = 'running';
        start();
      }
      if (this.turnAgain) {
        this.turnAgain = false;
        this.queueTurn();
      }
    }
  }

  private hasUnwritten(): boolean {
    return (
      this.turnRunning ||
      this.settles.length > 0 ||
      this.reaps.length > 0 ||
      this.dirty.size > 0 ||
      this.retryFlushes.length > 0
    );
  }

  private collectTurn(): PendingTurn | null {
    // A turn that failed may have committed all the same (its reply lost with the
    // connection), so its flushes go again on their own: the store skips a flush it
    // applied already (its mark), which a flush merged with newer reports could not
    // tell. An attempt's newer reports, and its settle if that came after the failure,
    // wait for the next turn (TurnInput.flushes: at most one per attempt, in order).
    const flushes = this.retryFlushes;
    this.retryFlushes = [];
    const waiting = new Set(flushes.map((f) => f.fence));
    if (this.dirty.size > 0) {
      for (const attempt of this.dirty) {
        if (waiting.has(attempt.fence)) continue;
        const flush = attempt.buffer.take(attempt.fence);
        if (flush) flushes.push(flush);
        this.dirty.delete(attempt);
      }
      this.lastFlushMs = performance.now();
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const free = this.stopping ? 0 : this.o.concurrency - this.active.size;
    const claim =
      free > 0
        ? { owner: this.id, limit: free, leaseMs: this.o.leaseMs, types: this.claimTypes }
        : null;
    const empty = this.settles.length === 0 && this.reaps.length === 0 && flushes.length === 0;
    if (empty && claim === null) return null;
    const settles: Settle[] = [];
    const types: string[] = [];
    const later: Settle[] = [];
    const laterTypes: string[] = [];
    const resent = new Set<Settle>();
    this.settles.forEach((s, i) => {
      const again = this.retrySettles.has(s);
      if (again) resent.add(s);
      const now = !waiting.has(s.fence) || again;
      (now ? settles : later).push(s);
      (now ? types : laterTypes).push(this.settleTypes[i] ?? '');
    });
    const reaps = this.reaps;
    this.settles = later;
    this.settleTypes = laterTypes;
    this.retrySettles.clear();
    this.reaps = [];
    if (waiting.size > 0) this.turnAgain = true;
    return { input: { settles, reaps, flushes, claim }, types, resent };
  }

  private requeue({ input, types }: PendingTurn): void {
    this.settles = input.settles.concat(this.settles);
    this.settleTypes = types.concat(this.settleTypes);
    for (const s of input.settles) this.retrySettles.add(s);
    this.reaps = input.reaps.concat(this.reaps);
    this.retryFlushes = input.flushes.concat(this.retryFlushes);
  }

  private afterTurn(turn: PendingTurn, settled: boolean[], reaped: boolean[], lost: Fence[]): void {
    const { input, types } = turn;
    for (let i = 0; i < input.settles.length; i++) {
      const s = input.settles[i]!;
      const type = types[i] ?? '';
      if (settled[i]) this.emitSettled(s, type);
      else if (turn.resent.has(s)) void this.refusedAgain(s, type);
      else this.events.emit('lease:lost', attemptRef(s.fence));
    }
    for (let i = 0; i < input.reaps.length; i++) {
      const s = input.reaps[i]!;
      if (reaped[i])
        this.events.emit('job:stalled', {
          ...attemptRef(s.fence),
          retrying: s.kind === 'reschedule',
        });
    }
    const written = input.flushes.length - lost.length;
    if (written > 0 && this.events.listening('progress:flush'))
      this.events.emit('progress:flush', { count: written });
    for (const fence of lost) this.loseLease(fence);
  }

  /**
   * Sleeps until the next job comes due, at most `idlePollMs`. A job that came due
   * between the claim and now is "next" with no wait: it is claimed on the next turn.
   */
  private async sleepUntilDue(claimedUpToMs: number): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.store.idle();
    const next = await this.store.nextRunAtMs(claimedUpToMs);
    const wait =
      next === null
        ? this.o.idlePollMs
        : Math.min(this.o.idlePollMs, Math.max(0, next - this.store.nowMs()));
    // Not unref'd: a running worker keeps its process alive until stopped.
    this.idleTimer = setTimeout(() => this.queueTurn(), wait);
  }

  /** Artifact access for every attempt of this worker, fenced by the attempt's lease. */
  private readonly artifacts: ArtifactAccess = {
    write: async (attempt, name, data, contentType) => {
      if (!(await this.store.writeArtifact(attempt.fence, name, data, contentType))) {
        throw new KilnError(
          'LEASE_LOST',
          'the attempt no longer holds the job: artifact not written',
        );
      }
    },
    list: (attempt) => this.store.listArtifacts(attempt.job.id),
    read: async (attempt, name) => {
      const data = await this.store.readArtifact(attempt.job.id, name);
      if (data === null) {
        throw new KilnError(
          'ARTIFACT_NOT_FOUND',
          `job ${attempt.job.id} has no artifact \`${name}\``,
        );
      }
      return data;
    },
  };

  private startAttempt(job: ClaimedJob): void {
    const definition = this.definitions.get(job.type)!;
    const attempt = new Attempt(job, this.id, definition, this.artifacts, this.markDirty);
    // A job cancelled and retried can come back to this worker while its cancelled
    // attempt still runs (a handler that ignores its signal): that attempt is lost.
    const previous = this.active.get(job.id);
    if (previous) this.loseLease(previous.fence);
    this.active.set(job.id, attempt);
    if (definition.timeoutMs !== undefined) {
      attempt.timeoutTimer = setTimeout(() => attempt.interrupt('timeout'), definition.timeoutMs);
    }
    if (this.events.listening('job:start')) {
      this.events.emit('job:start', { id: job.id, type: job.type, attempt: job.attempt });
    }
    this.execute(attempt);
  }

  /**
   * Runs the handler and settles on whichever comes first: its outcome, or an interrupt
   * (a lost attempt settles nothing; a timed-out one fails; a shut-down one is released).
   * No closure per attempt: the interrupt listener is shared and takes the attempt.
   */
  private execute(attempt: Attempt): void {
    const { job, definition } = attempt;
    attempt.onInterrupt(this.interruptAttempt);
    try {
      // Stored params may predate the code: check them again before running.
      const params = validateParams(definition.params, job.type, job.params);
      const outcome =
        params instanceof Promise
          ? params.then((p) => this.runHandler(attempt, p))
          : this.runHandler(attempt, params);
      if (outcome instanceof Promise) {
        outcome.then(
          (o) => this.finish(attempt, o),
          (error: unknown) => this.finish(attempt, { ok: false, error }),
        );
      } else {
        this.finish(attempt, outcome);
      }
    } catch (error) {
      this.finish(attempt, { ok: false, error });
    }
  }

  private runHandler(attempt: Attempt, params: unknown): Outcome | Promise<Outcome> {
    return attempt.definition.isolation === 'process'
      ? runInProcess(attempt, params, { killGraceMs: this.o.killGraceMs })
      : runInline(attempt, params);
  }

  private readonly interruptAttempt = (attempt: Attempt, why: Interrupt): void => {
    if (why === 'lost') this.finish(attempt, 'lost');
    else if (why === 'shutdown') this.finish(attempt, { released: true });
    else this.finish(attempt, { ok: false, error: attempt.interruptError() });
  };

  /** The attempt's first outcome counts; a later one (an interrupt after it) is ignored. */
  private finish(attempt: Attempt, outcome: Outcome | 'lost'): void {
    if (attempt.finished) return;
    attempt.finished = true;
    const { job, definition } = attempt;
    clearTimeout(attempt.timeoutTimer);
    if (this.active.get(job.id) === attempt) this.active.delete(job.id);
    // Progress reported just before the end is written in the same transaction, first.
    if (attempt.dirty) this.dirty.add(attempt);
    if (outcome === 'lost') this.dirty.delete(attempt);
    else {
      const settle = decide(attempt.fence, job.maxAttempts, definition, outcome);
      this.settles.push(settle);
      this.settleTypes.push(job.type);
    }
    this.queueTurn();
  }

  private emitSettled(s: Settle, type: string): void {
    const { id, attempt } = s.fence;
    if (s.kind === 'complete') {
      if (this.events.listening('job:complete'))
        this.events.emit('job:complete', { id, type, attempt });
    } else if (s.kind === 'fail' || s.kind === 'reschedule') {
      this.events.emit('job:fail', {
        id,
        type,
        attempt,
        error: s.error,
        retrying: s.kind === 'reschedule',
      });
    }
  }

  /** A settle sent again and refused: written by its first send, or its lease was lost. */
  private async refusedAgain(s: Settle, type: string): Promise<void> {
    const written = await settledUnheard(this.store, s).catch((error: unknown) => {
      this.events.emit('error', { error });
      return false;
    });
    if (written) this.emitSettled(s, type);
    else this.events.emit('lease:lost', attemptRef(s.fence));
  }

  private loseLease(fence: Fence): void {
    const attempt = this.active.get(fence.id);
    if (!attempt || attempt.fence.attempt !== fence.attempt) return;
    this.events.emit('lease:lost', attemptRef(fence));
    attempt.interrupt('lost');
  }

  /** Compares what the store says we hold with what we run; interrupts the difference. */
  private reconcile(before: Attempt[], held: Fence[]): void {
    const holds = new Set(held.map((f) => `${f.id}:${f.attempt}`));
    for (const a of before) {
      if (this.active.get(a.job.id) === a && !holds.has(`${a.fence.id}:${a.fence.attempt}`))
        this.loseLease(a.fence);
    }
  }

  private async renew(): Promise<void> {
    if (this.active.size === 0 || this.renewal !== undefined) return;
    if (this.turnRunning) {
      this.renewal = 'waiting';
      await new Promise<void>((resolve) => {
        this.renewalMayStart = resolve;
      });
    }
    this.renewal = 'running';
    try {
      const before = [...this.active.values()];
      const held = await this.store.renewLeases(this.id, this.o.leaseMs);
      this.reconcile(before, held);
      this.releaseStrays(held);
    } finally {
      this.renewal = undefined;
      if (this.turnAgain) {
        this.turnAgain = false;
        this.queueTurn();
      }
    }
  }

  /**
   * Leases this worker holds for attempts it is not running. A claim whose commit
   * succeeded but whose reply never came back (a network store's connection died in
   * between) leaves such a job running under this worker, and renewing every lease the
   * worker holds would keep it there for as long as the worker has other work. A stray
   * seen at two renewals in a row (so not a claim whose turn was still in flight) is
   * released: back to pending at once, its attempt not counted.
   */
  private releaseStrays(held: Fence[]): void {
    const strays = new Set<string>();
    for (const f of held) {
      const a = this.active.get(f.id);
      if (a && a.fence.attempt === f.attempt) continue;
      const key = `${f.id}:${f.attempt}`;
      strays.add(key);
      if (this.strays.has(key)) {
        this.settles.push({ kind: 'release', fence: f });
        this.settleTypes.push('');
        this.queueTurn();
      }
    }
    this.strays = strays;
  }

  private async checkLeases(): Promise<void> {
    if (this.active.size === 0 || this.stopping) return;
    const before = [...this.active.values()];
    this.reconcile(before, await this.store.heldLeases(this.id));
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const a of this.active.values()) {
      const limit = a.definition.heartbeatTimeoutMs;
      if (limit !== undefined && now - a.lastAliveMs > limit) a.interrupt('heartbeat');
    }
  }

  /** Reclaims stalled attempts of any worker (reaper.ts); settled in the next turn. */
  private async reap(): Promise<void> {
    const stalled = await findStalled(
      this.store,
      this.definitions,
      this.id,
      this.o.detectDeadWorkers,
    );
    if (stalled.length === 0) return;
    this.reaps.push(...stalled);
    this.queueTurn();
  }

  private async prune(): Promise<void> {
    let total = { jobs: 0, batches: 0 };
    for (;;) {
      const r = await this.store.pruneExpired(1_000);
      total = { jobs: total.jobs + r.jobs, batches: total.batches + r.batches };
      if (r.jobs < 1_000) break;
    }
    if (total.jobs > 0) this.events.emit('prune', total);
  }
}

/** A turn's writes, with the job type of each settle (for the events). */
interface PendingTurn {
  input: TurnInput;
  types: string[];
  /** Settles sent again after a failed turn (which may have committed them unheard). */
  resent: Set<Settle>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What events show of a fence: the store's row handle stays inside. */
function attemptRef(fence: Fence): AttemptRef {
  return { id: fence.id, attempt: fence.attempt, owner: fence.owner };
}
