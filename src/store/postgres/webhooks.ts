import { type AggregateRow, toBatch } from '../batch-aggregates.ts';
import type { BatchRow } from '../rows.ts';
import type { WebhookDelivery, WebhookSettle } from '../store.ts';
import { DELIVERY_COLUMNS, toWebhookDelivery, type WebhookDeliveryRow } from '../webhook-rows.ts';
import { AGGREGATE } from './batches.ts';
import type { PgConnection } from './connection.ts';

/** Batches waiting for their end (partial index batches_webhook_waiting) that have ended. */
export async function endedWebhookBatches(c: PgConnection, limit: number): Promise<string[]> {
  const rows = await c.query<{ id: string }>(
    `SELECT b.id FROM batches b WHERE b.webhook_url IS NOT NULL AND b.webhook_notified_at_ms IS NULL
       AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.batch_id = b.id AND j.state IN ('pending', 'running'))
     LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/**
 * The batch's row is locked first, then its jobs are read in a statement of its own (a
 * new snapshot under READ COMMITTED): a retry that reopened the batch either committed
 * before the lock was granted (its jobs are seen pending: no end) or waits for this
 * transaction and clears the mark after it (postgres/jobs.ts, retryJobs). Of two
 * dispatchers, the second finds the mark set once it has the lock: one row per end.
 */
export async function recordBatchEnd(
  c: PgConnection,
  batchId: string,
  deliveryId: string,
): Promise<boolean> {
  return c.write(async (tx) => {
    const [row] = (
      await tx.client.query<BatchRow>(
        `SELECT * FROM batches WHERE id = $1 AND webhook_url IS NOT NULL
           AND webhook_notified_at_ms IS NULL FOR UPDATE`,
        [batchId],
      )
    ).rows;
    if (!row) return false;
    const aggregates = (await tx.client.query<AggregateRow>(AGGREGATE, [[batchId]])).rows;
    if (aggregates.some((a) => a.state === 'pending' || a.state === 'running')) return false;
    await tx.client.query('UPDATE batches SET webhook_notified_at_ms = $1 WHERE id = $2', [
      tx.nowMs,
      batchId,
    ]);
    const { webhook: _, ...summary } = toBatch(row, aggregates, tx.nowMs);
    await tx.client.query(
      `INSERT INTO webhook_deliveries (id, batch_id, event, url, summary, state, attempts, next_attempt_at_ms, created_at_ms)
       VALUES ($1, $2, 'batch.finished', $3, $4, 'pending', 0, $5, $5)`,
      [deliveryId, batchId, row.webhook_url, JSON.stringify(summary), tx.nowMs],
    );
    return true;
  });
}

/** Due deliveries, oldest due first; rows another process is claiming are skipped. */
export async function claimWebhookDeliveries(
  c: PgConnection,
  owner: string,
  limit: number,
  leaseMs: number,
): Promise<WebhookDelivery[]> {
  return c.write(async (tx) => {
    const r = await tx.client.query<WebhookDeliveryRow>(
      `UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease_owner = $1, next_attempt_at_ms = $2
       FROM (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at_ms <= $3
         ORDER BY next_attempt_at_ms LIMIT $4 FOR UPDATE SKIP LOCKED) s
       WHERE d.id = s.id
       RETURNING ${DELIVERY_COLUMNS.split(', ')
         .map((col) => `d.${col}`)
         .join(', ')}`,
      [owner, tx.nowMs + leaseMs, tx.nowMs, limit],
    );
    return r.rows.map(toWebhookDelivery);
  });
}

/** Fenced by (id, attempt, owner), as in the SQLite store. */
export async function settleWebhookDelivery(c: PgConnection, s: WebhookSettle): Promise<boolean> {
  return c.write(async (tx) => {
    const where = `WHERE id = $1 AND attempts = $2 AND lease_owner = $3 AND state = 'pending'`;
    const r =
      s.outcome === 'delivered'
        ? await tx.client.query(
            `UPDATE webhook_deliveries SET state = 'delivered', delivered_at_ms = $4, last_status = $5,
               last_error = NULL, lease_owner = NULL ${where}`,
            [s.id, s.attempt, s.owner, tx.nowMs, s.status],
          )
        : await tx.client.query(
            `UPDATE webhook_deliveries SET state = $4, next_attempt_at_ms = $5, last_status = $6,
               last_error = $7, lease_owner = NULL ${where}`,
            [
              s.id,
              s.attempt,
              s.owner,
              s.outcome === 'dead' ? 'dead' : 'pending',
              s.outcome === 'retry' ? tx.nowMs + Math.max(0, Math.round(s.delayMs)) : tx.nowMs,
              s.status,
              s.error,
            ],
          );
    return r.rowCount === 1;
  });
}

export async function pruneWebhookDeliveries(c: PgConnection): Promise<number> {
  return c.write(
    async (tx) =>
      (
        await tx.client.query(
          `DELETE FROM webhook_deliveries d WHERE d.state <> 'pending'
             AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = d.batch_id)`,
        )
      ).rowCount ?? 0,
  );
}

/** Of processes inserting at once, the others wait for the first and then read its value. */
export async function settingOrInsert(
  c: PgConnection,
  key: string,
  value: string,
): Promise<string> {
  await c.query(
    'INSERT INTO kiln_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    [key, value],
  );
  const [row] = await c.query<{ value: string }>('SELECT value FROM kiln_settings WHERE key = $1', [
    key,
  ]);
  return row!.value;
}

export async function nextWebhookDueMs(c: PgConnection): Promise<number | null> {
  const [row] = await c.query<{ at: number | null }>(
    `SELECT min(next_attempt_at_ms) AS at FROM webhook_deliveries WHERE state = 'pending'`,
  );
  return row?.at ?? null;
}
