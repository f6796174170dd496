import type { Kiln } from '../kiln.ts';
import type { Worker } from '../worker/worker.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log line; the server never passes the token or a secret in `fields`. */
export type Logger = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;

/** What every route module of the server is given. */
export interface ServerDeps {
  kiln: Kiln;
  /** Bearer token required on everything but /healthz; undefined: no auth (loopback only). */
  token: string | undefined;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  log: Logger;
  /** The worker embedded in this server process, if any (its events feed /metrics). */
  worker: Worker | undefined;
  /**
   * Aborts when the server starts shutting down. Long-lived responses (the event
   * stream) end themselves on it, so that in-flight requests can drain and the process
   * can exit; short requests simply finish. Absent: the server is never closed (tests).
   */
  closing?: AbortSignal;
  /** The built dashboard (default dist/ui under the package root; tests point elsewhere). */
  uiDir?: string;
}

/** The default body limit: 1 MiB, plenty for a batch of a few thousand jobs. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** A logger that writes one JSON line per event to a stream (stderr by default). */
export function jsonLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  return (level, event, fields = {}) => {
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`,
    );
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = () => {};
