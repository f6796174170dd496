import type { Batch, Page } from '../../core/model.ts';
import { type AggregateRow, toBatch } from '../batch-aggregates.ts';
import { type BatchFilter, chunkSize, stateMatches } from '../batch-filter.ts';
import { type BatchRow, decodeCursor, encodeCursor } from '../rows.ts';
import type { PageRequest } from '../store.ts';
import type { WebhookDeliveryRow } from '../webhook-rows.ts';
import type { PgConnection } from './connection.ts';
import { TX_SEQ } from './sql.ts';

interface BatchAggregateRow extends AggregateRow {
  batch_id: string;
}

/*
 * Aggregates are computed when read, from the batch's jobs (index jobs_batch), never
 * kept in a counter row: every completion of a batch would update that one row, and
 * workers finishing jobs of one batch at once would queue on its lock.
 */
export const AGGREGATE = `SELECT batch_id, state, count(*) AS n, coalesce(sum(progress), 0)::float8 AS progress,
  coalesce(sum(usage_tokens), 0)::float8 AS tokens, coalesce(sum(usage_cost_usd), 0)::float8 AS cost,
  min(started_at_ms) AS started, max(finished_at_ms) AS finished,
  coalesce(sum(CASE WHEN finished_at_ms IS NOT NULL AND started_at_ms IS NOT NULL
    THEN finished_at_ms - started_at_ms ELSE 0 END), 0)::float8 / 1000.0 AS seconds
FROM jobs WHERE batch_id = ANY($1::text[]) GROUP BY batch_id, state`;

async function withAllAggregates(c: PgConnection, rows: BatchRow[]): Promise<Batch[]> {
  if (rows.length === 0) return [];
  const aggregates = await c.query<BatchAggregateRow>(AGGREGATE, [rows.map((r) => r.id)]);
  // The outbox row of each recorded end (batches with a webhook whose end is recorded).
  const ended = rows.filter((r) => r.webhook_notified_at_ms !== null).map((r) => r.id);
  const deliveries =
    ended.length === 0
      ? []
      : await c.query<WebhookDeliveryRow>(
          `SELECT DISTINCT ON (batch_id) * FROM webhook_deliveries WHERE batch_id = ANY($1::text[])
           ORDER BY batch_id, created_at_ms DESC, id DESC`,
          [ended],
        );
  const now = c.nowMs();
  return rows.map((r) =>
    toBatch(
      r,
      aggregates.filter((a) => a.batch_id === r.id),
      now,
      deliveries.find((d) => d.batch_id === r.id) ?? null,
    ),
  );
}

export async function getBatch(c: PgConnection, id: string): Promise<Batch | null> {
  const rows = await c.query<BatchRow>('SELECT * FROM batches WHERE id = $1', [id]);
  return (await withAllAggregates(c, rows))[0] ?? null;
}

/**
 * Newest first, filtered: name and template in SQL, the derived state on the aggregates
 * (batch-filter.ts), chunk by chunk (one grouped aggregate query each) until the page is full.
 */
export async function listBatches(
  c: PgConnection,
  page: PageRequest,
  filter: BatchFilter = {},
): Promise<Page<Batch>> {
  const chunk = chunkSize(filter, page.limit);
  const found: Batch[] = [];
  let after = decodeCursor(page.cursor);
  while (found.length <= page.limit) {
    const rows = await c.query<BatchRow>(
      `SELECT * FROM batches WHERE ($1::text IS NULL OR id < $1)
         AND ($2::text IS NULL OR strpos(lower(name), lower($2)) > 0)
         AND ($3::text IS NULL OR template = $3)
       ORDER BY id DESC LIMIT $4`,
      [after, filter.q ?? null, filter.template ?? null, chunk],
    );
    for (const b of await withAllAggregates(c, rows)) {
      if (stateMatches(b, filter)) found.push(b);
      if (found.length > page.limit) break;
    }
    if (rows.length < chunk) break;
    after = rows[rows.length - 1]!.id;
  }
  const more = found.length > page.limit;
  const items = more ? found.slice(0, page.limit) : found;
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
}

export async function pauseBatch(c: PgConnection, id: string, paused: boolean): Promise<boolean> {
  return c.write(async (tx) => {
    const r = await tx.client.query(
      `UPDATE batches SET paused = $1, updated_seq = ${TX_SEQ} WHERE id = $2`,
      [paused ? 1 : 0, id],
    );
    if (r.rowCount !== 1) return false;
    tx.changed();
    return true;
  });
}
