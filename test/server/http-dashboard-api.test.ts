/**
 * The dashboard's additions over a real socket, on both stores: a batch's concurrency
 * (and its refusals, which write nothing), batch list filters, a job's attempts, a
 * batch's timeline.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { expectError, useServer } from './http-support.ts';

const start = useServer();
const one = { type: 'test', params: { action: 'succeed' } };
const NO_BATCH = '0190f5e2-0000-7000-8000-000000000000';

describe('POST /api/batches with concurrency', () => {
  it('keeps the cap on the batch, with jobs or a template; null without one', async () => {
    const t = await start();
    const capped = await t.call('POST', '/api/batches', { concurrency: 2, jobs: [one, one] });
    expect(capped.status).toBe(201);
    expect(capped.body.concurrency).toBe(2);
    const fromTemplate = await t.call('POST', '/api/batches', {
      template: 'curriculum-grid',
      concurrency: 1,
      params: { paceMs: 0 },
    });
    expect(fromTemplate.status).toBe(201);
    expect(fromTemplate.body.concurrency).toBe(1);
    const free = await t.call('POST', '/api/batches', { jobs: [one] });
    expect(free.body.concurrency).toBeNull();
    expect((await t.call('GET', `/api/batches/${capped.body.id}`)).body.concurrency).toBe(2);
  });

  it('refuses 0, negative and non-integer caps with INVALID_ARGUMENT, writing nothing', async () => {
    const t = await start();
    const before = await t.snapshot();
    for (const concurrency of [0, -3, 1.5, '2', null]) {
      const a = await t.call('POST', '/api/batches', { concurrency, jobs: [one] });
      expectError(a, 400, 'INVALID_ARGUMENT');
    }
    await t.expectUnchanged(before);
  });
});

describe('GET /api/batches filters', () => {
  it('filters by state, q and template; pages with a cursor; refuses unknown keys and states', async () => {
    const t = await start();
    const make = async (name: string) =>
      (await t.call('POST', '/api/batches', { name, jobs: [one] })).body.id as string;
    const a = await make('Weekly Report');
    const b = await make('daily report');
    await make('other');
    await t.call('POST', `/api/batches/${b}/pause`);
    const names = async (query: string) =>
      (await t.call('GET', `/api/batches?${query}`)).body.items.map(
        (x: { name: string }) => x.name,
      );
    expect(await names('q=REPORT')).toEqual(['daily report', 'Weekly Report']);
    expect(await names('state=paused')).toEqual(['daily report']);
    expect(await names('state=running,pending&q=report')).toEqual(['Weekly Report']);
    expect(await names('template=curriculum-grid')).toEqual([]);
    const page = await t.call('GET', '/api/batches?q=report&limit=1');
    expect(page.body.items.map((x: { id: string }) => x.id)).toEqual([b]);
    const next = await t.call(
      'GET',
      `/api/batches?q=report&limit=1&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.items.map((x: { id: string }) => x.id)).toEqual([a]);
    expectError(await t.call('GET', '/api/batches?state=bogus'), 400, 'INVALID_ARGUMENT');
    expectError(await t.call('GET', '/api/batches?status=running'), 400, 'UNKNOWN_OPTION');
  });
});

describe('GET /api/jobs/{id}/attempts', () => {
  it('lists the attempts oldest first; an unknown job is 404', async () => {
    const t = await start();
    const job = (await t.call('POST', '/api/jobs', { type: 'test', params: { action: 'throw' } }))
      .body;
    t.work();
    await waitFor(
      async () => (await t.call('GET', `/api/jobs/${job.id}`)).body.state === 'failed',
      {
        what: 'job failed',
      },
    );
    const a = await t.call('GET', `/api/jobs/${job.id}/attempts`);
    expect(a.status).toBe(200);
    expect(
      a.body.items.map((x: { attempt: number; state: string }) => [x.attempt, x.state]),
    ).toEqual([
      [1, 'retried'],
      [2, 'retried'],
      [3, 'failed'],
    ]);
    for (const item of a.body.items) {
      expect(item.error.message).toContain('failing on purpose');
      expect(typeof item.startedAt).toBe('string');
      expect(typeof item.finishedAt).toBe('string');
    }
    expectError(await t.call('GET', `/api/jobs/${NO_BATCH}/attempts`), 404, 'JOB_NOT_FOUND');
    expectError(await t.call('GET', '/api/jobs/nope/attempts'), 404, 'JOB_NOT_FOUND');
  });
});

describe('GET /api/batches/{id}/timeline', () => {
  it('counts finished jobs per bucket; refuses a bucket under 100 ms; unknown batch 404', async () => {
    const t = await start();
    const batch = (await t.call('POST', '/api/batches', { jobs: [one, one, one] })).body;
    t.work();
    await waitFor(
      async () => (await t.call('GET', `/api/batches/${batch.id}`)).body.state === 'completed',
      { what: 'batch done' },
    );
    const a = await t.call('GET', `/api/batches/${batch.id}/timeline?bucketMs=100`);
    expect(a.status).toBe(200);
    expect(a.body.bucketMs).toBe(100);
    expect(a.body.items.reduce((n: number, x: { completed: number }) => n + x.completed, 0)).toBe(
      3,
    );
    expect(typeof a.body.items[0].at).toBe('string');
    const byDefault = await t.call('GET', `/api/batches/${batch.id}/timeline`);
    expect(byDefault.body.bucketMs).toBeGreaterThanOrEqual(100);
    expectError(
      await t.call('GET', `/api/batches/${batch.id}/timeline?bucketMs=50`),
      400,
      'INVALID_ARGUMENT',
    );
    expectError(
      await t.call('GET', `/api/batches/${batch.id}/timeline?bucket=100`),
      400,
      'UNKNOWN_OPTION',
    );
    expectError(await t.call('GET', `/api/batches/${NO_BATCH}/timeline`), 404, 'BATCH_NOT_FOUND');
  });
});
