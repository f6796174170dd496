/**
 * The origin's presentation service on Kiln, over HTTP only: POST a presentation job
 * with its slides, poll GET /api/jobs/{id} until it completes (progress never falling),
 * list and download its files.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/helpers.ts';
import { slides, useServer } from './http-support.ts';

const start = useServer();

describe('the presentation flow', () => {
  it('POST a deck, poll it to completion, download every file', async () => {
    const t = await start();
    t.work();
    const params = { ...slides(3, 'Quarterly review'), paceMs: 20 };
    const created = await t.call('POST', '/api/jobs', { type: 'presentation', params });
    expect(created.status).toBe(201);
    const { id } = created.body;

    let lastProgress = 0;
    const done = await waitFor(
      async () => {
        const a = await t.call('GET', `/api/jobs/${id}`);
        expect(a.status).toBe(200);
        // Guarantee 3 as a poller sees it: progress never falls within an attempt.
        expect(a.body.progress).toBeGreaterThanOrEqual(lastProgress);
        lastProgress = a.body.progress;
        return a.body.state === 'completed' ? a.body : null;
      },
      { what: 'the presentation job completed' },
    );
    expect(done).toMatchObject({ progress: 1, attempt: 1, error: null });
    expect(done.result).toMatchObject({ title: 'Quarterly review', slides: 3 });
    expect(Date.parse(done.expiresAt) - Date.parse(done.finishedAt)).toBe(5 * 60_000);

    const files = await t.call('GET', `/api/jobs/${id}/artifacts`);
    const names = files.body.items.map((f: { name: string }) => f.name);
    expect(names.sort()).toEqual(['deck.html', 'slide-01.html', 'slide-02.html', 'slide-03.html']);
    for (const name of names) {
      const r = await fetch(`${t.url}/api/jobs/${id}/artifacts/${name}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
      const html = await r.text();
      expect(html).toContain('<!doctype html>');
      if (name === 'deck.html') {
        for (let i = 1; i <= 3; i++) expect(html).toContain(`Slide ${i}`);
      }
    }
  });
});
