import type { WebhookDelivery, WebhookSettle } from '../store.ts';
import { DELIVERY_COLUMNS, toWebhookDelivery, type WebhookDeliveryRow } from '../webhook-rows.ts';
import { getBatch } from './batches.ts';
import type { SqliteConnection } from './connection.ts';

/** The batch's jobs are all finished: none pending or running (spelled with ORs, as in jobs). */
const ENDED = `NOT EXISTS (SELECT 1 FROM jobs j WHERE j.batch_id = b.id
  AND (j.state = 'pending' OR j.state = 'running'))`;

/**
 * Batches waiting for their end (partial index batches_webhook_waiting: only batches with
 * a webhook and no recorded end) that have ended. Each candidate costs a walk of its
 * jobs until an open one is found; the dispatcher asks at most once a second or so.
 */
export function endedWebhookBatches(c: SqliteConnection, limit: number): string[] {
  return c
    .all<{ id: string }>(
      `SELECT b.id FROM batches b WHERE b.webhook_url IS NOT NULL AND b.webhook_notified_at_ms IS NULL
         AND ${ENDED} LIMIT ?`,
      limit,
    )
    .map((r) => r.id);
}

/**
 * The mark and the outbox row in one IMMEDIATE transaction: SQLite has one writer at a
 * time, so of two dispatchers the second finds the mark set and writes nothing.
 */
export function recordBatchEnd(c: SqliteConnection, batchId: string, deliveryId: string): boolean {
  return c.write((tx) => {
    const marked = c.run(
      `UPDATE batches AS b SET webhook_notified_at_ms = ? WHERE b.id = ? AND b.webhook_url IS NOT NULL
         AND b.webhook_notified_at_ms IS NULL AND ${ENDED}`,
      tx.nowMs,
      batchId,
    );
    if (marked !== 1) return false;
    const { webhook, ...summary } = getBatch(c, batchId)!;
    c.run(
      `INSERT INTO webhook_deliveries (id, batch_id, event, url, summary, state, attempts, next_attempt_at_ms, created_at_ms)
       VALUES (?, ?, 'batch.finished', ?, ?, 'pending', 0, ?, ?)`,
      deliveryId,
      batchId,
      webhook!.url,
      JSON.stringify(summary),
      tx.nowMs,
      tx.nowMs,
    );
    return true;
  });
}

/** Due deliveries, oldest due first; the claim moves `next_attempt_at_ms` to the lease's end. */
export function claimWebhookDeliveries(
  c: SqliteConnection,
  owner: string,
  limit: number,
  leaseMs: number,
): WebhookDelivery[] {
  return c.write((tx) =>
    c
      .all<WebhookDeliveryRow>(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, lease_owner = ?, next_attempt_at_ms = ?
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at_ms <= ?
           ORDER BY next_attempt_at_ms LIMIT ?)
         RETURNING ${DELIVERY_COLUMNS}`,
        owner,
        tx.nowMs + leaseMs,
        tx.nowMs,
        limit,
      )
      .map(toWebhookDelivery),
  );
}

/** Fenced by (id, attempt, owner): an attempt whose lease ran out and was claimed again writes nothing. */
export function settleWebhookDelivery(c: SqliteConnection, s: WebhookSettle): boolean {
  return c.write((tx) => {
    const fence = [s.id, s.attempt, s.owner] as const;
    const where = `WHERE id = ? AND attempts = ? AND lease_owner = ? AND state = 'pending'`;
    if (s.outcome === 'delivered') {
      return (
        c.run(
          `UPDATE webhook_deliveries SET state = 'delivered', delivered_at_ms = ?, last_status = ?,
             last_error = NULL, lease_owner = NULL ${where}`,
          tx.nowMs,
          s.status,
          ...fence,
        ) === 1
      );
    }
    return (
      c.run(
        `UPDATE webhook_deliveries SET state = ?, next_attempt_at_ms = ?, last_status = ?, last_error = ?,
           lease_owner = NULL ${where}`,
        s.outcome === 'dead' ? 'dead' : 'pending',
        s.outcome === 'retry' ? tx.nowMs + Math.max(0, s.delayMs) : tx.nowMs,
        s.status,
        s.error,
        ...fence,
      ) === 1
    );
  });
}

export function pruneWebhookDeliveries(c: SqliteConnection): number {
  return c.write(() =>
    c.run(
      `DELETE FROM webhook_deliveries WHERE state <> 'pending'
         AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = webhook_deliveries.batch_id)`,
    ),
  );
}

export function settingOrInsert(c: SqliteConnection, key: string, value: string): string {
  return c.write(() => {
    c.run(
      'INSERT INTO kiln_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
      key,
      value,
    );
    return c.get<{ value: string }>('SELECT value FROM kiln_settings WHERE key = ?', key)!.value;
  });
}

export function nextWebhookDueMs(c: SqliteConnection): number | null {
  return (
    c.get<{ at: number | null }>(
      `SELECT min(next_attempt_at_ms) AS at FROM webhook_deliveries WHERE state = 'pending'`,
    )?.at ?? null
  );
}
