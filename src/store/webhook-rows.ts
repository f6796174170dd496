import type { BatchWebhook } from '../core/model.ts';
import type { BatchRow } from './rows.ts';
import type { WebhookDelivery } from './store.ts';

/** A row of the webhook outbox (`webhook_deliveries`), as both stores read it. */
export interface WebhookDeliveryRow {
  id: string;
  batch_id: string;
  event: string;
  url: string;
  summary: string;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  next_attempt_at_ms: number;
  lease_owner: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at_ms: number;
  delivered_at_ms: number | null;
}

/** The columns a claim returns, and `toWebhookDelivery` reads. */
export const DELIVERY_COLUMNS = 'id, batch_id, event, url, summary, attempts, created_at_ms';

export function toWebhookDelivery(
  r: Pick<
    WebhookDeliveryRow,
    'id' | 'batch_id' | 'event' | 'url' | 'summary' | 'attempts' | 'created_at_ms'
  >,
): WebhookDelivery {
  return {
    id: r.id,
    batchId: r.batch_id,
    event: r.event,
    url: r.url,
    summary: JSON.parse(r.summary) as Record<string, unknown>,
    attempt: r.attempts,
    createdAt: new Date(r.created_at_ms),
  };
}

/**
 * Where a batch's webhook stands, from its row and the outbox row of its current end
 * (none while the batch has not ended, or since a retry reopened it).
 */
export function toBatchWebhook(
  batch: BatchRow,
  delivery: WebhookDeliveryRow | null | undefined,
): BatchWebhook | null {
  if (batch.webhook_url === null || batch.webhook_url === undefined) return null;
  if (batch.webhook_notified_at_ms === null || !delivery) {
    return {
      url: batch.webhook_url,
      state: 'waiting',
      deliveryId: null,
      attempts: 0,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: null,
    };
  }
  return {
    url: delivery.url,
    state: delivery.state,
    deliveryId: delivery.id,
    attempts: delivery.attempts,
    lastError: delivery.last_error,
    nextAttemptAt: delivery.state === 'pending' ? new Date(delivery.next_attempt_at_ms) : null,
    deliveredAt: delivery.delivered_at_ms === null ? null : new Date(delivery.delivered_at_ms),
  };
}
