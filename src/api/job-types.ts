import type { StandardSchemaV1 } from '@standard-schema/spec';
import { expectText } from '../core/arguments.ts';
import { type AnyJobDefinition, isJobDefinition } from '../core/define-job.ts';
import { checkOptionNames, KilnError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { validateParams } from '../core/schema.ts';
import { jsonText } from '../core/text.ts';
import {
  type InsertedJob,
  JOB_CHUNK,
  type NewBatch,
  type NewJob,
  type Store,
} from '../store/store.ts';

export interface EnqueueOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Run no earlier than this time. */
  runAt?: Date | number;
  /** A second enqueue with the same key returns the first job instead of a new one. */
  idempotencyKey?: string;
  /** A readable label for lists and dashboards. */
  name?: string;
}

const ENQUEUE_OPTIONS = ['priority', 'runAt', 'idempotencyKey', 'name'] as const;

/** The job types an instance knows, and the one place a job row is built from input. */
export class JobTypes {
  readonly definitions = new Map<string, AnyJobDefinition>();

  /** Registers a job type (for validation and for workers). */
  define(definition: AnyJobDefinition): AnyJobDefinition {
    if (!isJobDefinition(definition)) {
      throw new KilnError('INVALID_ARGUMENT', 'define() takes a defineJob() result');
    }
    const existing = this.definitions.get(definition.type);
    if (existing && existing !== definition) {
      throw new KilnError('INVALID_ARGUMENT', `job type \`${definition.type}\` is defined twice`);
    }
    this.definitions.set(definition.type, definition);
    return definition;
  }

  /** The definition of a type given by name (it must be known) or by definition. */
  get(type: string | AnyJobDefinition): AnyJobDefinition {
    if (typeof type !== 'string') {
      if (!isJobDefinition(type)) {
        throw new KilnError(
          'INVALID_ARGUMENT',
          'a job type is given by its name or by its defineJob() result',
        );
      }
      return this.define(type);
    }
    const def = this.definitions.get(type);
    if (!def) {
      const known = [...this.definitions.keys()];
      throw new KilnError(
        'UNKNOWN_JOB_TYPE',
        `unknown job type \`${type}\`; known: ${known.join(', ') || 'none'}`,
        { known },
      );
    }
    return def;
  }

  /**
   * A row for the store: options checked, params validated against the type's schema
   * (synchronously when the schema is, so bulk enqueues make no promise per job).
   */
  newJob(
    type: string | AnyJobDefinition,
    params: unknown,
    options: EnqueueOptions,
    batchId: string | null,
    nowMs: number,
  ): NewJob | Promise<NewJob> {
    checkOptionNames('enqueue', options, ENQUEUE_OPTIONS);
    const def = this.get(type);
    const priority = options.priority ?? 0;
    if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        'priority must be an integer between -1000000 and 1000000',
      );
    }
    const runAtMs = options.runAt === undefined ? nowMs : new Date(options.runAt).getTime();
    if (Number.isNaN(runAtMs)) throw new KilnError('INVALID_ARGUMENT', 'runAt is not a valid time');
    const key =
      options.idempotencyKey == null
        ? null
        : expectText('idempotencyKey', options.idempotencyKey, 255);
    const name = options.name == null ? null : expectText('name', options.name, 200);
    const build = (valid: unknown): NewJob => ({
      id: newId(nowMs),
      type: def.type,
      name,
      paramsJson: jsonText(valid, 'params'),
      batchId,
      idempotencyKey: key,
      priority,
      delayMs: runAtMs - nowMs,
      maxAttempts: def.maxAttempts,
      retentionMs: def.retentionMs,
    });
    const valid = validateParams(def.params as StandardSchemaV1, def.type, params);
    return valid instanceof Promise ? valid.then(build) : build(valid);
  }

  /**
   * Builds the rows and inserts them in one transaction: more than a JOB_CHUNK of them a
   * chunk at a time, each built while the store writes the one before (insertJobChunks).
   */
  async insert(
    store: Store,
    items: { type: string | AnyJobDefinition; params: unknown; options: EnqueueOptions }[],
    nowMs: number,
    batch?: NewBatch,
  ): Promise<InsertedJob[]> {
    const batchId = batch?.id ?? null;
    if (items.length <= JOB_CHUNK) {
      return store.insertJobs(await this.newJobs(items, batchId, nowMs), batch);
    }
    return store.insertJobChunks(this.newJobChunks(items, batchId, nowMs), batch);
  }

  /** `newJobs` a JOB_CHUNK at a time, each built when the store asks for it (insertJobChunks). */
  async *newJobChunks(
    items: { type: string | AnyJobDefinition; params: unknown; options: EnqueueOptions }[],
    batchId: string | null,
    nowMs: number,
  ): AsyncGenerator<NewJob[], void, undefined> {
    for (let from = 0; from < items.length; from += JOB_CHUNK) {
      yield await this.newJobs(items.slice(from, from + JOB_CHUNK), batchId, nowMs);
    }
  }

  /** Builds many rows, awaiting only validators that are asynchronous. */
  async newJobs(
    items: { type: string | AnyJobDefinition; params: unknown; options: EnqueueOptions }[],
    batchId: string | null,
    nowMs: number,
  ): Promise<NewJob[]> {
    const rows: NewJob[] = [];
    for (const item of items) {
      const row = this.newJob(item.type, item.params, item.options, batchId, nowMs);
      rows.push(row instanceof Promise ? await row : row);
    }
    return rows;
  }
}
