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
}

/** A logger that writes one JSON line per event to a stream (stderr by default). */
export function jsonLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  return (level, event, fields = {}) => {
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`,
    );
  };
}
