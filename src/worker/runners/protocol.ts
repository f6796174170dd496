import type { ArtifactInfo, LogEntry } from '../../core/model.ts';

/** Messages between a worker and the child process running one isolated attempt. */
export type ToChild =
  | {
      t: 'start';
      module: string;
      type: string;
      jobId: string;
      params: unknown;
      batchId: string | null;
      attempt: number;
      maxAttempts: number;
      checkpoint: unknown;
    }
  | { t: 'abort'; message: string; code: string }
  | { t: 'reply'; id: number; ok: true; value?: ArtifactInfo[] | Uint8Array }
  | { t: 'reply'; id: number; ok: false; message: string; code?: string };

export type FromChild =
  | { t: 'progress'; fraction: number; message?: string }
  | { t: 'heartbeat'; details: unknown; hasDetails: boolean }
  | { t: 'log'; level: LogEntry['level']; message: string; fields: Record<string, unknown> | null }
  | { t: 'usage'; tokens?: number; costUsd?: number }
  | { t: 'artifact-write'; id: number; name: string; data: Uint8Array; contentType: string | null }
  | { t: 'artifact-list'; id: number }
  | { t: 'artifact-read'; id: number; name: string }
  | { t: 'done'; ok: true; result: unknown }
  | {
      t: 'done';
      ok: false;
      error: { message: string; stack?: string; code?: string; name?: string };
      nonRetryable: boolean;
    };
