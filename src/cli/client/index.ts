/** A typed HTTP client for a Kiln server: what the `kiln` client commands are built on. */
export {
  type CreateBatchBody,
  KilnClient,
  type ListJobsQuery,
  type ListQuery,
  type SubmitJobInput,
} from './api.ts';
export { ClientError, EXIT, exitCodeOf } from './errors.ts';
export { type FollowOptions, followEvents } from './follow-events.ts';
export { type ConnectionOptions, DEFAULT_URL, HttpConnection } from './http.ts';
export { reviveBatch, reviveBatchRecord, reviveJob } from './revive.ts';
export { type SseMessage, SseParser } from './sse-parser.ts';
