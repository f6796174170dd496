/**
 * The wire types, from the server's zod schemas (type-only: erased at build, so zod
 * never enters the bundle). Nothing is written here by hand: a field renamed on the
 * server breaks `npm run typecheck` wherever the dashboard reads or sends it.
 */
export type {
  ArtifactInfoBody,
  AttemptBody,
  BatchBody,
  BatchPageBody,
  CreateBatchRequest,
  CreateTemplateRequest,
  ErrorResponse,
  JobBody,
  JobPageBody,
  JobTypeBody,
  LogEntryBody,
  TemplateBody,
  TimelineBody,
} from '../../../src/server/schemas/index.ts';
