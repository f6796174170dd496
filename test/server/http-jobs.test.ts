/**
 * /api/jobs over a real socket: every route's happy path, and the answers that refuse
 * (unknown ids, actions a state does not allow) without changing anything.
 */
import { describe, expect, it } from 'vitest';
import { waitForJob } from '../support/library.ts';
import { expectError, slides, useServer } from './http-support.ts';

const start = useServer();
const MISSING = '01900000-0000-7000-8000-000000000000';

describe('POST /api/jobs', () => {
  it('enqueues a job (201), and the same idempotency key answers the first job (200)', async () => {
    const t = await start();
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const first = await t.call('POST', '/api/jobs', {
      type: 'presentation',
      params: slides(2),
      priority: 5,
      runAt,
      idempotencyKey: 'deck-1',
      name: 'my deck',
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      type: 'presentation',
      state: 'pending',
      priority: 5,
      name: 'my deck',
      idempotencyKey: 'deck-1',
      attempt: 0,
      progress: 0,
      batchId: null,
    });
    // The store schedules by delay on its own clock: the time comes back within a few ms.
    expect(Math.abs(Date.parse(first.body.runAt) - Date.parse(runAt))).toBeLessThan(1_000);
    expect(first.body).not.toHaveProperty('created');

    const again = await t.call('POST', '/api/jobs', {
      type: 'presentation',
      params: slides(2),
      idempotencyKey: 'deck-1',
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    const got = await t.call('GET', `/api/jobs/${first.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(first.body);
  });

  it('takes runAt as epoch milliseconds and params defaulting to {}', async () => {
    const t = await start();
    const runAtMs = Date.now() + 3_600_000;
    const a = await t.call('POST', '/api/jobs', { type: 'test', runAt: runAtMs });
    expect(a.status).toBe(201);
    expect(Math.abs(Date.parse(a.body.runAt) - runAtMs)).toBeLessThan(1_000);
    expect(a.body.params).toEqual({ action: 'succeed', ms: 0, steps: 10 });
  });
});

describe('POST /api/jobs/bulk', () => {
  it('enqueues every job in order', async () => {
    const t = await start();
    const a = await t.call('POST', '/api/jobs/bulk', {
      jobs: [
        { type: 'test', params: { value: 1 } },
        { type: 'presentation', params: slides(1), idempotencyKey: 'k' },
        { type: 'presentation', params: slides(1), idempotencyKey: 'k' },
      ],
    });
    expect(a.status).toBe(201);
    expect(a.body.items.map((i: { created: boolean }) => i.created)).toEqual([true, true, false]);
    expect(a.body.items[1].id).toBe(a.body.items[2].id);
    expect((await t.snapshot()).jobs).toBe(2);
  });

  it('enqueues none when one is invalid', async () => {
    const t = await start();
    await t.call('POST', '/api/jobs', { type: 'test' });
    const before = await t.snapshot();
    const a = await t.call('POST', '/api/jobs/bulk', {
      jobs: [
        { type: 'test', params: { value: 1 } },
        { type: 'presentation', params: { title: 'no slides' } },
      ],
    });
    expectError(a, 400, 'VALIDATION_FAILED');
    await t.expectUnchanged(before);
  });
});

describe('GET /api/jobs', () => {
  it('lists newest first, filters by state, type and batch, and pages with cursors', async () => {
    const t = await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.call('POST', '/api/jobs', { type: 'test', params: { value: i } })).body.id);
    }
    const batch = await t.call('POST', '/api/batches', {
      jobs: [{ type: 'presentation', params: slides(1) }],
    });
    expect(batch.status, JSON.stringify(t.logs.filter((l) => l.level === 'error'))).toBe(201);
    await t.call('POST', `/api/jobs/${ids[0]}/cancel`);

    const all = await t.call('GET', '/api/jobs');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(6);
    expect(all.body.nextCursor).toBeNull();

    const pending = await t.call('GET', '/api/jobs?state=pending&type=test');
    expect(pending.body.items.map((j: { id: string }) => j.id).sort()).toEqual(ids.slice(1).sort());
    const two = await t.call('GET', '/api/jobs?state=cancelled,pending&limit=4');
    expect(two.body.items).toHaveLength(4);
    const rest = await t.call(
      'GET',
      `/api/jobs?state=cancelled,pending&limit=4&cursor=${encodeURIComponent(two.body.nextCursor)}`,
    );
    expect(rest.body.items).toHaveLength(2);
    expect(rest.body.nextCursor).toBeNull();
    const seen = [...two.body.items, ...rest.body.items].map((j: { id: string }) => j.id);
    expect(new Set(seen).size).toBe(6);

    const inBatch = await t.call('GET', `/api/jobs?batchId=${batch.body.id}`);
    expect(inBatch.body.items).toHaveLength(1);
    expect(inBatch.body.items[0].batchId).toBe(batch.body.id);
  });

  it('refuses bad filters, limits and cursors with a 400', async () => {
    const t = await start();
    expectError(await t.call('GET', '/api/jobs?state=done'), 400, 'INVALID_ARGUMENT');
    expectError(await t.call('GET', '/api/jobs?limit=0'), 400, 'INVALID_ARGUMENT');
    expectError(await t.call('GET', '/api/jobs?limit=1001'), 400, 'INVALID_ARGUMENT');
    expectError(await t.call('GET', '/api/jobs?limit=ten'), 400, 'INVALID_ARGUMENT');
    expectError(await t.call('GET', '/api/jobs?cursor=bogus'), 400, 'INVALID_ARGUMENT');
    expectError(await t.call('GET', '/api/jobs?stat=pending'), 400, 'UNKNOWN_OPTION');
  });
});

describe('acting on one job', () => {
  it('cancels, retries and deletes; refuses what the state does not allow (409)', async () => {
    const t = await start();
    const { id } = (await t.call('POST', '/api/jobs', { type: 'test' })).body;

    const cancelled = await t.call('POST', `/api/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');

    let before = await t.snapshot();
    expectError(await t.call('POST', `/api/jobs/${id}/cancel`), 409, 'INVALID_TRANSITION');
    await t.expectUnchanged(before);

    const retried = await t.call('POST', `/api/jobs/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.state).toBe('pending');

    before = await t.snapshot();
    expectError(await t.call('POST', `/api/jobs/${id}/retry`), 409, 'INVALID_TRANSITION');
    await t.expectUnchanged(before);

    const deleted = await t.call('DELETE', `/api/jobs/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectError(await t.call('GET', `/api/jobs/${id}`), 404, 'JOB_NOT_FOUND');
  });

  it('refuses to delete a running job', async () => {
    const t = await start();
    const { id } = (
      await t.call('POST', '/api/jobs', { type: 'test', params: { action: 'sleep', ms: 60_000 } })
    ).body;
    t.work();
    await waitForJob(t.kiln, id, 'running');
    const before = await t.snapshot();
    expectError(await t.call('DELETE', `/api/jobs/${id}`), 409, 'INVALID_TRANSITION');
    expect((await t.snapshot()).jobs).toBe(before.jobs);
    expect((await t.call('POST', `/api/jobs/${id}/cancel`)).body.state).toBe('cancelled');
  });

  it('answers 404 JOB_NOT_FOUND for unknown and malformed ids on every job route', async () => {
    const t = await start();
    await t.call('POST', '/api/jobs', { type: 'test' });
    const before = await t.snapshot();
    for (const id of [MISSING, 'not-an-id', "1' OR '1'='1"]) {
      const p = `/api/jobs/${encodeURIComponent(id)}`;
      for (const [method, path] of [
        ['GET', p],
        ['POST', `${p}/cancel`],
        ['POST', `${p}/retry`],
        ['DELETE', p],
        ['GET', `${p}/logs`],
        ['GET', `${p}/artifacts`],
        ['GET', `${p}/artifacts/deck.html`],
      ] as const) {
        expectError(await t.call(method, path), 404, 'JOB_NOT_FOUND');
      }
    }
    await t.expectUnchanged(before);
  });
});

describe("a job's logs and files", () => {
  it('reads log lines after an id, lists artifacts and downloads one as an attachment', async () => {
    const t = await start();
    const { id } = (
      await t.call('POST', '/api/jobs', {
        type: 'curriculum',
        params: { subject: 'math', grade: 3, paceMs: 0 },
      })
    ).body;
    t.work();
    await waitForJob(t.kiln, id, 'completed');

    const logs = await t.call('GET', `/api/jobs/${id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.body.items.length).toBeGreaterThan(0);
    expect(logs.body.items[0]).toMatchObject({ jobId: id, attempt: 1, level: 'info' });
    const last = logs.body.items.at(-1).id;
    expect((await t.call('GET', `/api/jobs/${id}/logs?afterId=${last}`)).body.items).toEqual([]);
    expect((await t.call('GET', `/api/jobs/${id}/logs?limit=1`)).body.items).toHaveLength(1);

    const files = await t.call('GET', `/api/jobs/${id}/artifacts`);
    expect(files.status).toBe(200);
    const names = files.body.items.map((a: { name: string }) => a.name);
    expect(names).toEqual(expect.arrayContaining(['outline.md', 'outline.json']));
    const info = files.body.items.find((a: { name: string }) => a.name === 'outline.json');

    const download = await fetch(`${t.url}/api/jobs/${id}/artifacts/outline.json`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="outline.json"');
    // Saved, never rendered on Kiln's origin, whatever type the handler gave it.
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(download.headers.get('content-type')).toBe(info.contentType);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(info.sizeBytes);
    expect(bytes.equals(await t.kiln.artifacts.read(id, 'outline.json'))).toBe(true);

    expectError(
      await t.call('GET', `/api/jobs/${id}/artifacts/missing.txt`),
      404,
      'ARTIFACT_NOT_FOUND',
    );
  });
});
