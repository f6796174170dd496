/**
 * The wire types, from the server's zod schemas (type-only: erased at build, so zod
 * never enters the bundle). The few shapes of routes still landing are written here.
 */
export type {
  ArtifactInfoBody,
  BatchBody,
  BatchPageBody,
  ErrorResponse,
  JobBody,
  JobPageBody,
  JobTypeBody,
  LogEntryBody,
  TemplateBody,
} from '../../../src/server/schemas/index.ts';

/** GET /api/jobs/{id}/attempts (docs/API.md; derived from the job and its logs when absent). */
export interface AttemptBody {
  attempt: number;
  state: 'running' | 'completed' | 'failed' | 'retried' | 'stalled' | 'cancelled' | 'released';
  startedAt: string | null;
  finishedAt: string | null;
  leaseOwner: string | null;
  error: { message: string; stack?: string; code?: string } | null;
}

/** GET /api/batches/{id}/timeline. */
export interface TimelineBody {
  bucketMs: number;
  items: { at: string; completed: number; failed: number }[];
}
