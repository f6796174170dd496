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
 * The context an inline handler gets; every call lands in the attempt's buffer. Its
 * methods are closures, not prototype methods, so handlers may destructure them
 * (`run: async ({ params, progress }) => …`); the artifacts object is made on first use.
 */
export function createContext(attempt: Attempt, params: unknown): JobContext {
  const { job, buffer } = attempt;
  let artifacts: ArtifactWriter | undefined;
  return {
    jobId: job.id,
    type: job.type,
    params,
    batchId: job.batchId,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    checkpoint: job.checkpoint,
    get signal() {
      return attempt.signal;
    },
    progress(fraction: number, message?: string) {
      if (buffer.report(fraction, message)) attempt.touched();
    },
    heartbeat(...args: unknown[]) {
      buffer.beat(args[0], args.length > 0);
      attempt.touched();
    },
    log(...args: unknown[]) {
      const { level, message, fields } = parseLogArgs(args);
      buffer.log({ atMs: Date.now(), level, message, fields });
      attempt.touched();
    },
    usage(spent) {
      buffer.spend(spent.tokens, spent.costUsd);
      attempt.touched();
    },
    get artifacts() {
      artifacts ??= {
        async write(name, data, options) {
          assertArtifactName(name);
          await attempt.writeArtifact(name, toBytes(data), options?.contentType ?? null);
          attempt.touched();
        },
        list: () => attempt.listArtifacts(),
        read: (name) => attempt.readArtifact(name),
      };
      return artifacts;
    },
  } as JobContext;
}
