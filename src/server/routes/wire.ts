/**
 * Model objects to their wire form: times as ISO strings, exactly the types the response
 * schemas infer. Written out rather than left to JSON.stringify, so that the schema and
 * the answer are checked against each other by the compiler.
 */
import type {
  ArtifactInfo,
  Attempt,
  Batch,
  Job,
  LogEntry,
  Page,
  Template,
} from '../../core/model.ts';
import type {
  ArtifactInfoBody,
  AttemptBody,
  BatchBody,
  JobBody,
  LogEntryBody,
  PageBody,
  TemplateBody,
} from '../schemas/index.ts';

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function jobBody(job: Job): JobBody {
  return {
    ...job,
    runAt: iso(job.runAt),
    heartbeatAt: isoOrNull(job.heartbeatAt),
    leaseExpiresAt: isoOrNull(job.leaseExpiresAt),
    createdAt: iso(job.createdAt),
    startedAt: isoOrNull(job.startedAt),
    finishedAt: isoOrNull(job.finishedAt),
    expiresAt: isoOrNull(job.expiresAt),
  };
}

export function batchBody(batch: Batch): BatchBody {
  return {
    ...batch,
    createdAt: iso(batch.createdAt),
    startedAt: isoOrNull(batch.startedAt),
    finishedAt: isoOrNull(batch.finishedAt),
    webhook:
      batch.webhook === null
        ? null
        : {
            ...batch.webhook,
            nextAttemptAt: isoOrNull(batch.webhook.nextAttemptAt),
            deliveredAt: isoOrNull(batch.webhook.deliveredAt),
          },
  };
}

export function templateBody(t: Template): TemplateBody {
  return {
    ...t,
    grid:
      t.grid === null
        ? null
        : Object.fromEntries(Object.entries(t.grid).map(([k, v]) => [k, [...v]])),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    lastTickAt: isoOrNull(t.lastTickAt),
  };
}

export function logEntryBody(entry: LogEntry): LogEntryBody {
  return { ...entry, at: iso(entry.at) };
}

export function artifactBody(a: ArtifactInfo): ArtifactInfoBody {
  return { ...a, createdAt: iso(a.createdAt) };
}

export function pageBody<T, B>(page: Page<T>, map: (item: T) => B): PageBody<B> {
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}

export function attemptBody(a: Attempt): AttemptBody {
  return { ...a, startedAt: isoOrNull(a.startedAt), finishedAt: isoOrNull(a.finishedAt) };
}
