/**
 * Webhooks and schedules through the HTTP API, on both stores: a refused webhook or
 * schedule is a 400 with its code and changes nothing; a batch's webhook state is part
 * of the Batch the API returns; a template shows its schedule.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServices } from '../../src/services/index.ts';
import { useServer } from '../server/http-support.ts';
import { waitFor } from '../support/helpers.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const serve = useServer();
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('webhooks and schedules over HTTP', () => {
  it('refuses a private webhook (400 INVALID_WEBHOOK) and an invalid schedule (400 INVALID_SCHEDULE), changing nothing', async () => {
    const t = await serve();
    const before = await t.snapshot();
    const batch = await t.call('POST', '/api/batches', {
      webhook: { url: 'http://169.254.169.254/latest' },
      jobs: [{ type: 'test', params: {} }],
    });
    expect(batch.status).toBe(400);
    expect(batch.body.error.code).toBe('INVALID_WEBHOOK');
    const template = await t.call('POST', '/api/templates', {
      name: 'hooked',
      type: 'test',
      webhook: { url: 'http://localhost:9/' },
    });
    expect(template.body.error.code).toBe('INVALID_WEBHOOK');
    for (const schedule of [
      { cron: 'sometimes' },
      { cron: '* * * * *', timezone: 'Nowhere/City' },
    ]) {
      const answer = await t.call('PUT', '/api/templates/scheduled', { type: 'test', schedule });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_SCHEDULE');
    }
    await t.expectUnchanged(before);
  });

  it("shows a batch's webhook delivery and a template's schedule", async () => {
    vi.stubEnv('KILN_ALLOW_PRIVATE_WEBHOOKS', '1');
    const t = await serve();
    const receiver = await startReceiver();
    const services = startServices(
      { kiln: t.kiln, log: () => {} },
      { webhooks: { pollMs: 100, noticeEveryMs: 20 } },
    );
    try {
      const saved = await t.call('POST', '/api/templates', {
        name: 'hourly',
        type: 'test',
        webhook: { url: receiver.url },
        schedule: { cron: '0 * * * *', timezone: 'Europe/Paris' },
      });
      expect(saved.status).toBe(201);
      expect(saved.body).toMatchObject({
        webhook: { url: receiver.url },
        schedule: { cron: '0 * * * *', timezone: 'Europe/Paris', missed: 'run-once' },
      });
      expect(Date.parse(saved.body.lastTickAt)).toBeGreaterThan(Date.now() - 60_000);

      const created = await t.call('POST', '/api/batches', { template: 'hourly' });
      expect(created.status).toBe(201);
      expect(created.body.webhook).toEqual({
        url: receiver.url,
        state: 'waiting',
        deliveryId: null,
        attempts: 0,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: null,
      });
      t.work();
      const done = await waitFor(async () => {
        const answer = await t.call('GET', `/api/batches/${created.body.id}`);
        return answer.body.webhook.state === 'delivered' ? answer.body : null;
      });
      expect(done.webhook.attempts).toBe(1);
      expect(Date.parse(done.webhook.deliveredAt)).not.toBeNaN();
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]!.headers['kiln-delivery']).toBe(done.webhook.deliveryId);
    } finally {
      await services.stop();
      await receiver.close();
    }
  });
});
