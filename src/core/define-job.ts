import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.ts';
import { checkOptionNames, KilnError } from './errors.ts';
import type { Grid } from './grid.ts';
import type { ArtifactInfo } from './model.ts';

/** What a handler can do while it runs. Every write is fenced by the attempt's lease. */
export interface JobContext<Params = unknown> {
  readonly jobId: string;
  readonly type: string;
  readonly params: Params;
  readonly batchId: string | null;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Fires on cancel, timeout, heartbeat timeout, lost lease and shutdown. */
  readonly signal: AbortSignal;
  /** What the previous attempt last passed to `heartbeat()`: resume from here. */
  readonly checkpoint: unknown;
  /**
   * Report progress, 0..1. Cheap enough to call tens of thousands of times a second:
   * coalesced in memory and written in batches. A value below the last is ignored. A
   * NUL character in the message is stored as U+FFFD (PostgreSQL cannot hold it).
   */
  progress(fraction: number, message?: string): void;
  /**
   * Say the handler is alive; `details` becomes the checkpoint the next attempt gets.
   * Throws INVALID_ARGUMENT when JSON cannot hold `details` (a BigInt, a cycle).
   */
  heartbeat(details?: unknown): void;
  /** Never throws: fields JSON cannot hold are logged as `{ unserializable: why }`. */
  log(message: string, fields?: Record<string, unknown>): void;
  log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void;
  /** Add to what the job spent; summed per batch. */
  usage(spent: { tokens?: number; costUsd?: number }): void;
  readonly artifacts: ArtifactWriter;
}

export interface ArtifactWriter {
  /** Write (or replace) a file owned by the job. Names: letters, digits, `.`, `_`, `-`. */
  write(name: string, data: string | Uint8Array, options?: { contentType?: string }): Promise<void>;
  list(): Promise<ArtifactInfo[]>;
  read(name: string): Promise<Buffer>;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Errors for which retrying is pointless. `NonRetryableError` always is. */
  nonRetryable?: (error: unknown) => boolean;
}

export type Isolation = 'inline' | 'process';

export interface JobOptions<S extends StandardSchemaV1, R> {
  type: string;
  params: S;
  /** Its result is stored as JSON; one JSON cannot hold fails the attempt (INVALID_RESULT). */
  run: (ctx: JobContext<StandardSchemaV1.InferOutput<S>>) => Promise<R> | R;
  retry?: RetryPolicy;
  /** Bounds one attempt; the signal fires, then the attempt fails with TIMEOUT. */
  timeoutMs?: number;
  /** A handler silent for this long (no heartbeat, no progress) is treated as hung. */
  heartbeatTimeoutMs?: number;
  /** Most attempts of this type running at once, over every worker on the store. */
  concurrency?: number;
  /** How long a finished job, its logs and files are kept. Default 24 h. */
  retentionMs?: number;
  /** 'process' runs each attempt in a child process that is killed if it ignores cancel. */
  isolation?: Isolation;
  /** With isolation 'process': the module that exports this definition (`import.meta.url`). */
  module?: string;
  description?: string;
}

export interface JobDefinition<S extends StandardSchemaV1 = StandardSchemaV1, R = unknown> {
  readonly kind: 'kiln.job';
  readonly type: string;
  readonly params: S;
  readonly run: (ctx: JobContext<StandardSchemaV1.InferOutput<S>>) => Promise<R> | R;
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
  readonly nonRetryable: ((error: unknown) => boolean) | undefined;
  readonly timeoutMs: number | undefined;
  readonly heartbeatTimeoutMs: number | undefined;
  readonly concurrency: number | undefined;
  readonly retentionMs: number;
  readonly isolation: Isolation;
  readonly module: string | undefined;
  readonly description: string | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: a definition of any params and result
export type AnyJobDefinition = JobDefinition<any, any>;
export type ParamsOf<D> =
  D extends JobDefinition<infer S, unknown> ? StandardSchemaV1.InferInput<S> : never;
export type ResultOf<D> = D extends JobDefinition<StandardSchemaV1, infer R> ? Awaited<R> : never;

export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ATTEMPTS = 3;

const JOB_OPTION_NAMES = [
  'type',
  'params',
  'run',
  'retry',
  'timeoutMs',
  'heartbeatTimeoutMs',
  'concurrency',
  'retentionMs',
  'isolation',
  'module',
  'description',
] as const;
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/** One definition serves the producer (typed enqueue) and the worker (the handler). */
export function defineJob<S extends StandardSchemaV1, R>(
  options: JobOptions<S, R>,
): JobDefinition<S, R> {
  checkOptionNames('defineJob', options, JOB_OPTION_NAMES);
  if (typeof options.type !== 'string' || !TYPE_NAME.test(options.type)) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `job type name \`${String(options.type)}\` must match ${TYPE_NAME}`,
    );
  }
  if (!options.params || typeof options.params['~standard']?.validate !== 'function') {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `job type \`${options.type}\`: params must be a Standard Schema (zod, valibot, arktype, …)`,
    );
  }
  if (typeof options.run !== 'function') {
    throw new KilnError('INVALID_ARGUMENT', `job type \`${options.type}\`: run must be a function`);
  }
  if (options.retry)
    checkOptionNames('retry', options.retry, ['attempts', 'backoff', 'nonRetryable']);
  const attempts = options.retry?.attempts ?? DEFAULT_ATTEMPTS;
  positiveInteger(options.type, 'retry.attempts', attempts);
  if (options.concurrency !== undefined)
    positiveInteger(options.type, 'concurrency', options.concurrency);
  if (options.timeoutMs !== undefined)
    positiveInteger(options.type, 'timeoutMs', options.timeoutMs);
  if (options.heartbeatTimeoutMs !== undefined) {
    positiveInteger(options.type, 'heartbeatTimeoutMs', options.heartbeatTimeoutMs);
  }
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  if (!Number.isInteger(retentionMs) || retentionMs < 0) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `job type \`${options.type}\`: retentionMs must be an integer >= 0`,
    );
  }
  const isolation = options.isolation ?? 'inline';
  if (isolation !== 'inline' && isolation !== 'process') {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `job type \`${options.type}\`: isolation is 'inline' or 'process'`,
    );
  }
  if (isolation === 'process' && !options.module) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `job type \`${options.type}\`: isolation 'process' needs \`module: import.meta.url\` so the child process can load the handler`,
    );
  }
  return Object.freeze({
    kind: 'kiln.job',
    type: options.type,
    params: options.params,
    run: options.run,
    maxAttempts: attempts,
    backoff: { ...DEFAULT_BACKOFF, ...options.retry?.backoff },
    nonRetryable: options.retry?.nonRetryable,
    timeoutMs: options.timeoutMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    concurrency: options.concurrency,
    retentionMs,
    isolation,
    module: options.module,
    description: options.description,
  });
}

function positiveInteger(type: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new KilnError(
      'INVALID_ARGUMENT',
      `job type \`${type}\`: ${name} must be a positive integer`,
    );
  }
}

export function isJobDefinition(value: unknown): value is AnyJobDefinition {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'kiln.job'
  );
}

export interface TemplateDefinition {
  readonly kind: 'kiln.template';
  readonly name: string;
  readonly type: string;
  readonly description: string | null;
  readonly params: Record<string, unknown>;
  readonly grid: Grid | null;
}

/** A preset defined in code; written to the store when a Kiln instance opens. */
export function defineTemplate(options: {
  name: string;
  type: string | AnyJobDefinition;
  description?: string;
  params?: Record<string, unknown>;
  grid?: Grid;
}): TemplateDefinition {
  checkOptionNames('defineTemplate', options, ['name', 'type', 'description', 'params', 'grid']);
  return Object.freeze({
    kind: 'kiln.template',
    name: options.name,
    type: typeof options.type === 'string' ? options.type : options.type.type,
    description: options.description ?? null,
    params: options.params ?? {},
    grid: options.grid ?? null,
  });
}
