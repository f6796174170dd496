import { assertArtifactName } from '../core/artifact-name.ts';
import type { ArtifactWriter, JobContext } from '../core/define-job.ts';
import type { LogEntry } from '../core/model.ts';
import type { Attempt } from './attempt.ts';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Splits `log(message, fields?)` and `log(level, message, fields?)`. */
export function parseLogArgs(args: unknown[]): {
  level: LogEntry['level'];
  message: string;
  fields: Record<string, unknown> | null;
} {
  if (
    args.length >= 2 &&
    typeof args[0] === 'string' &&
    LEVELS.has(args[0]) &&
    typeof args[1] === 'string'
  ) {
    return {
      level: args[0] as LogEntry['level'],
      message: args[1],
      fields: (args[2] as Record<string, unknown>) ?? null,
    };
  }
  return {
    level: 'info',
    message: String(args[0]),
    fields: (args[1] as Record<string, unknown>) ?? null,
  };
}

export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/**
 * The context an inline handler gets; every call lands in the attempt's buffer. The
 * reporting methods are per-instance functions, not prototype methods, so handlers may
 * destructure them (`run: async ({ params, progress }) => …`); each is made on first
 * use, through a prototype getter, as are `signal` and `artifacts`: a job that never
 * reports allocates none of them (the worker's rate counts them at 100k jobs a second).
 */
class InlineContext {
  readonly jobId: string;
  readonly type: string;
  readonly params: unknown;
  readonly batchId: string | null;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly checkpoint: unknown;
  readonly #attempt: Attempt;
  #progress: ((fraction: number, message?: string) => void) | undefined;
  #heartbeat: ((...args: unknown[]) => void) | undefined;
  #log: ((...args: unknown[]) => void) | undefined;
  #usage: ((spent: { tokens?: number; costUsd?: number }) => void) | undefined;
  #artifacts: ArtifactWriter | undefined;

  constructor(attempt: Attempt, params: unknown) {
    const { job } = attempt;
    this.#attempt = attempt;
    this.jobId = job.id;
    this.type = job.type;
    this.params = params;
    this.batchId = job.batchId;
    this.attempt = job.attempt;
    this.maxAttempts = job.maxAttempts;
    this.checkpoint = job.checkpoint;
  }

  get progress(): (fraction: number, message?: string) => void {
    const attempt = this.#attempt;
    this.#progress ??= (fraction, message) => {
      if (attempt.buffer.report(fraction, message)) attempt.touched();
    };
    return this.#progress;
  }

  get heartbeat(): (...args: unknown[]) => void {
    const attempt = this.#attempt;
    this.#heartbeat ??= (...args) => {
      attempt.buffer.beat(args[0], args.length > 0);
      attempt.touched();
    };
    return this.#heartbeat;
  }

  get log(): (...args: unknown[]) => void {
    const attempt = this.#attempt;
    this.#log ??= (...args) => {
      const { level, message, fields } = parseLogArgs(args);
      attempt.buffer.log(Date.now(), level, message, fields);
      attempt.touched();
    };
    return this.#log;
  }

  get usage(): (spent: { tokens?: number; costUsd?: number }) => void {
    const attempt = this.#attempt;
    this.#usage ??= (spent) => {
      attempt.buffer.spend(spent.tokens, spent.costUsd);
      attempt.touched();
    };
    return this.#usage;
  }

  get signal(): AbortSignal {
    return this.#attempt.signal;
  }

  get artifacts(): ArtifactWriter {
    const attempt = this.#attempt;
    this.#artifacts ??= {
      async write(name, data, options) {
        assertArtifactName(name);
        await attempt.writeArtifact(name, toBytes(data), options?.contentType ?? null);
        attempt.touched();
      },
      list: () => attempt.listArtifacts(),
      read: (name) => attempt.readArtifact(name),
    };
    return this.#artifacts;
  }
}

export function createContext(attempt: Attempt, params: unknown): JobContext {
  return new InlineContext(attempt, params) as unknown as JobContext;
}
