/** Kiln's public entry point: everything a producer, a worker or a watcher needs. */

export {
  type CopyOptions,
  type CopyPhase,
  type CopyProgress,
  type CopyResult,
  copyStore,
} from './copy/copy.ts';
export {
  type AnyJobDefinition,
  type ArtifactWriter,
  type BackoffPolicy,
  backoffDelayMs,
  DEFAULT_RETENTION_MS,
  defineJob,
  defineTemplate,
  ERROR_CATALOGUE,
  type ErrorCode,
  expandGrid,
  type Grid,
  type Isolation,
  isJobDefinition,
  type JobContext,
  type JobDefinition,
  type JobOptions,
  type JobState,
  KilnError,
  NonRetryableError,
  type ParamsOf,
  type ResultOf,
  type RetryPolicy,
  type StoredError,
  suggestName,
  type TemplateDefinition,
  TRANSITIONS,
} from './core/index.ts';
export type {
  ArtifactInfo,
  Attempt,
  Batch,
  BatchCounts,
  BatchRecord,
  BatchState,
  BatchWebhook,
  ChangeEvent,
  Job,
  LogEntry,
  Page,
  Template,
  TemplateSchedule,
  TimelineBucket,
  Usage,
} from './core/model.ts';
export {
  type CreateBatchInput,
  type EnqueueItem,
  type EnqueueOptions,
  Kiln,
  type KilnOptions,
  type ListBatchesOptions,
  type ListJobsOptions,
  type WatchOptions,
} from './kiln.ts';
export { DEFAULT_STORE_URL, type Durability, openStore, redactStoreUrl } from './store/open.ts';
export type { SchemaVersion, Store } from './store/store.ts';
export { signatureHeader, verifySignature } from './webhooks/signature.ts';
export type { AttemptRef, WorkerEventMap } from './worker/events.ts';
export { Worker, type WorkerOptions } from './worker/worker.ts';
