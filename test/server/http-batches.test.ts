/** /api/batches, /api/templates and /api/job-types over a real socket: the happy paths. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { expectError, slides, useServer } from './http-support.ts';

const start = useServer();

describe('batches', () => {
  it('creates a batch from a list, reads its aggregate, lists it', async () => {
    const t = await start();
    const created = await t.call('POST', '/api/batches', {
      name: 'decks',
      metadata: { owner: 'ana' },
      priority: 2,
      jobs: [
        { type: 'presentation', params: slides(1), name: 'one' },
        { type: 'presentation', params: slides(2), name: 'two', priority: 9 },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'decks',
      metadata: { owner: 'ana' },
      template: null,
      state: 'pending',
      counts: { total: 2, pending: 2, running: 0, completed: 0, failed: 0, cancelled: 0 },
      progress: 0,
    });
    const { id } = created.body;
    const jobs = (await t.call('GET', `/api/jobs?batchId=${id}`)).body.items;
    expect(
      jobs.map((j: { name: string; priority: number }) => [j.name, j.priority]).sort(),
    ).toEqual([
      ['one', 2],
      ['two', 9],
    ]);

    t.work();
    const done = await waitFor(
      async () => {
        const b = (await t.call('GET', `/api/batches/${id}`)).body;
        return b.state === 'completed' ? b : null;
      },
      { what: 'the batch completed' },
    );
    expect(done).toMatchObject({ progress: 1, etaMs: null, counts: { completed: 2 } });
    expect(done.finishedAt).toEqual(expect.any(String));

    const list = await t.call('GET', '/api/batches?limit=10');
    expect(list.status).toBe(200);
    expect(list.body.items.map((b: { id: string }) => b.id)).toEqual([id]);
    expect(list.body.nextCursor).toBeNull();
  });

  it('creates a batch from a template over a grid, with params merged', async () => {
    const t = await start();
    const a = await t.call('POST', '/api/batches', {
      template: 'curriculum-grid',
      grid: { subject: ['art', 'music'], grade: [1] },
      params: { paceMs: 0 },
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ template: 'curriculum-grid', name: 'curriculum-grid' });
    expect(a.body.counts.total).toBe(2);
    const jobs = (await t.call('GET', `/api/jobs?batchId=${a.body.id}`)).body.items;
    expect(jobs.map((j: { params: unknown }) => j.params)).toEqual(
      expect.arrayContaining([
        { subject: 'art', grade: 1, paceMs: 0 },
        { subject: 'music', grade: 1, paceMs: 0 },
      ]),
    );
  });

  it('pauses, resumes, cancels and retries failed jobs', async () => {
    const t = await start();
    const { id } = (
      await t.call('POST', '/api/batches', {
        jobs: [
          { type: 'test', params: { action: 'throw-final' } },
          { type: 'test', params: { action: 'sleep', ms: 60_000 } },
        ],
      })
    ).body;
    const paused = await t.call('POST', `/api/batches/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, state: 'paused' });
    const resumed = await t.call('POST', `/api/batches/${id}/resume`);
    expect(resumed.body).toMatchObject({ paused: false, state: 'pending' });

    t.work();
    await waitFor(
      async () => {
        const b = (await t.call('GET', `/api/batches/${id}`)).body;
        return b.counts.failed === 1 && b.counts.running === 1;
      },
      { what: 'one failed, one running' },
    );
    const retried = await t.call('POST', `/api/batches/${id}/retry-failed`);
    expect(retried.status).toBe(200);
    expect(
      retried.body.counts.failed + retried.body.counts.pending + retried.body.counts.running,
    ).toBe(2);

    const cancelled = await t.call('POST', `/api/batches/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.cancelled).toBe(true);
    await waitFor(
      async () => (await t.call('GET', `/api/batches/${id}`)).body.state === 'cancelled',
      { what: 'the batch cancelled' },
    );
  });
});

describe('templates', () => {
  it('creates (201, then 409), reads, replaces, lists and deletes', async () => {
    const t = await start();
    const body = {
      name: 'decks',
      type: 'presentation',
      description: 'Two decks',
      params: { paceMs: 0, slides: [{ title: 'a', body: 'b' }] },
      grid: { title: ['One', 'Two'] },
    };
    const created = await t.call('POST', '/api/templates', body);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ ...body, source: 'store' });

    const before = await t.snapshot();
    expectError(await t.call('POST', '/api/templates', body), 409, 'TEMPLATE_EXISTS');
    await t.expectUnchanged(before);

    expect((await t.call('GET', '/api/templates/decks')).body).toEqual(created.body);

    // Creates of one name racing: the store decides, exactly one wins.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => t.call('POST', '/api/templates', { ...body, name: 'race' })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);

    const replaced = await t.call('PUT', '/api/templates/decks', {
      type: 'presentation',
      params: body.params,
      grid: { title: ['Three'] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      name: 'decks',
      description: null,
      grid: { title: ['Three'] },
    });
    const fresh = await t.call('PUT', '/api/templates/new one', { name: 'new one', type: 'test' });
    expect(fresh.status).toBe(200);
    expectError(
      await t.call('PUT', '/api/templates/decks', { name: 'other', type: 'test' }),
      400,
      'INVALID_ARGUMENT',
    );

    const batch = await t.call('POST', '/api/batches', { template: 'decks' });
    expect(batch.status).toBe(201);
    expect(batch.body.counts.total).toBe(1);

    const names = (await t.call('GET', '/api/templates')).body.items.map(
      (x: { name: string }) => x.name,
    );
    expect(names).toEqual(
      expect.arrayContaining(['curriculum-grid', 'presentation-sample', 'decks', 'new one']),
    );

    expect((await t.call('DELETE', '/api/templates/decks')).status).toBe(204);
    expectError(await t.call('GET', '/api/templates/decks'), 404, 'TEMPLATE_NOT_FOUND');
  });
});

describe('job types', () => {
  it('lists each type with its options and params as JSON Schema', async () => {
    const t = await start();
    const a = await t.call('GET', '/api/job-types');
    expect(a.status).toBe(200);
    const presentation = a.body.items.find((x: { type: string }) => x.type === 'presentation');
    expect(presentation).toMatchObject({
      description: expect.any(String),
      maxAttempts: 3,
      timeoutMs: null,
      concurrency: null,
      retentionMs: 5 * 60_000,
    });
    const schema = presentation.paramsSchema;
    expect(schema.$schema).toContain('2020-12');
    expect(schema.type).toBe('object');
    expect(schema.properties.slides.type).toBe('array');
    // The input side: a param with a default is not required.
    expect(schema.required).toEqual(['title', 'slides']);
    expect(schema.properties.paceMs.default).toBe(300);
    const capped = a.body.items.find((x: { type: string }) => x.type === 'test-capped');
    expect(capped.concurrency).toBe(3);
  });
});
