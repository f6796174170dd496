/**
 * The HTTP API's schemas: request validation, /openapi.json and the wire types, from one
 * source. Clients import the inferred types (`import type { JobBody } from …`) so client
 * and server cannot drift.
 */
export * from './batches.ts';
export * from './common.ts';
export * from './job-types.ts';
export * from './jobs.ts';
export * from './templates.ts';
export * from './webhooks.ts';
