import type { SQLInputValue } from 'node:sqlite';
import type { Batch, Page } from '../../core/model.ts';
import { type AggregateRow, toBatch } from '../batch-aggregates.ts';
import { type BatchFilter, chunkSize, stateMatches } from '../batch-filter.ts';
import { type BatchRow, decodeCursor, encodeCursor } from '../rows.ts';
import type { PageRequest } from '../store.ts';
import type { WebhookDeliveryRow } from '../webhook-rows.ts';
import type { SqliteConnection } from './connection.ts';

// One pass over the batch's jobs (index jobs_batch), grouped by state.
const AGGREGATE = `SELECT state, count(*) AS n, total(progress) AS progress, total(usage_tokens) AS tokens,
  total(usage_cost_usd) AS cost, min(started_at_ms) AS started, max(finished_at_ms) AS finished,
  total(CASE WHEN finished_at_ms IS NOT NULL AND started_at_ms IS NOT NULL
    THEN finished_at_ms - started_at_ms ELSE 0 END) / 1000.0 AS seconds
FROM jobs WHERE batch_id = ? GROUP BY state`;

function withAggregates(c: SqliteConnection, row: BatchRow, nowMs: number): Batch {
  // The outbox row of the batch's current end, read only for a batch whose end is recorded.
  const delivery =
    row.webhook_notified_at_ms === null
      ? null
      : c.get<WebhookDeliveryRow>(
          'SELECT * FROM webhook_deliveries WHERE batch_id = ? ORDER BY created_at_ms DESC, id DESC LIMIT 1',
          row.id,
        );
  return toBatch(row, c.all<AggregateRow>(AGGREGATE, row.id), nowMs, delivery);
}

export function getBatch(c: SqliteConnection, id: string): Batch | null {
  return c.read(() => {
    const row = c.get<BatchRow>('SELECT * FROM batches WHERE id = ?', id);
    return row ? withAggregates(c, row, Date.now()) : null;
  });
}

/**
 * Newest first, filtered: name and template in SQL, the derived state on the aggregates
 * (batch-filter.ts), chunk by chunk in one read snapshot until the page is full.
 */
export function listBatches(
  c: SqliteConnection,
  page: PageRequest,
  filter: BatchFilter = {},
): Page<Batch> {
  return c.read(() => {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.q !== undefined) {
      where.push('instr(lower(name), lower(?)) > 0');
      params.push(filter.q);
    }
    if (filter.template !== undefined) {
      where.push('template = ?');
      params.push(filter.template);
    }
    const chunk = chunkSize(filter, page.limit);
    const now = Date.now();
    const found: Batch[] = [];
    let after = decodeCursor(page.cursor);
    while (found.length <= page.limit) {
      const clauses = after === null ? where : [...where, 'id < ?'];
      const rows = c.all<BatchRow>(
        `SELECT * FROM batches ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
        ...params,
        ...(after === null ? [] : [after]),
        chunk,
      );
      for (const r of rows) {
        // Aggregates only while the page is not full: the batch after it only says "more".
        const b = withAggregates(c, r, now);
        if (stateMatches(b, filter)) found.push(b);
        if (found.length > page.limit) break;
      }
      if (rows.length < chunk) break;
      after = rows[rows.length - 1]!.id;
    }
    const more = found.length > page.limit;
    const items = more ? found.slice(0, page.limit) : found;
    return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
  });
}

export function pauseBatch(c: SqliteConnection, id: string, paused: boolean): boolean {
  return c.write(
    (tx) =>
      c.run(
        'UPDATE batches SET paused = ?, updated_seq = ? WHERE id = ?',
        paused ? 1 : 0,
        tx.seq(),
        id,
      ) === 1,
  );
}
