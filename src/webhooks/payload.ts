import type { WebhookDelivery } from '../store/store.ts';

/** The event a batch's end sends; the `Kiln-Event` header names it too. */
export const BATCH_FINISHED = 'batch.finished';

/**
 * The body of a delivery, built from the batch as it ended (stored with the outbox row),
 * so every attempt sends the same bytes:
 * `{ event, deliveryId, createdAt, batch: { id, name, template, metadata, state, counts,
 * progress, usage, createdAt, startedAt, finishedAt, link } }`. `link` is the batch's
 * path on the server's API, for the receiver to read the rest.
 */
export function deliveryBody(d: WebhookDelivery): string {
  const b = d.summary;
  return JSON.stringify({
    event: d.event,
    deliveryId: d.id,
    createdAt: d.createdAt.toISOString(),
    batch: {
      id: b.id,
      name: b.name,
      template: b.template,
      metadata: b.metadata,
      state: b.state,
      counts: b.counts,
      progress: b.progress,
      usage: b.usage,
      createdAt: b.createdAt,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
      link: `/api/batches/${encodeURIComponent(String(b.id))}`,
    },
  });
}
