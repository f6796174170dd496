/**
 * `kiln watch` against a real server: in a pseudo-terminal (progress bars redrawn in
 * place), piped (plain lines), as NDJSON, its exit codes, and a server restart in the
 * middle (the stream resumed with Last-Event-ID, the watch ends as if nothing happened).
 *
 * The server runs no worker until the watch has shown the batch as it was (pending):
 * then a worker starts, and every change after that must reach the watch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Worker } from '../../src/index.ts';
import { startServer } from '../../src/server/server.ts';
import { waitFor } from '../support/helpers.ts';
import type { Behaviour } from '../support/test-jobs.ts';
import { type CliServer, cliServer, kiln, kilnInTerminal, ndjson, startKiln } from './support.ts';

let s: CliServer;
let worker: Worker | undefined;
beforeAll(async () => {
  s = await cliServer({ worker: false });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(async () => {
  await s?.close();
});

const startWorker = () => {
  worker = s.kiln.work({ concurrency: 8 });
};

async function batchOf(name: string, ...behaviours: Behaviour[]) {
  return s.kiln.batches.create({
    name,
    jobs: behaviours.map((params, i) => ({ type: 'test', params, name: `${name} ${i + 1}` })),
  });
}

const progress = (ms: number): Behaviour => ({ action: 'progress', ms, steps: 4 });
const ESC = '\x1b';
/** Colours out; cursor movement stays. */
const uncoloured = (text: string) => text.replace(new RegExp(`${ESC}\\[\\d*m`, 'g'), '');

describe('kiln watch, piped', () => {
  test('a batch: a plain line per change, ends when the batch does, exit 0', async () => {
    const batch = await batchOf('piped', progress(400), progress(400), { action: 'succeed' });
    const watch = startKiln(s.url, ['watch', batch.id]);
    await waitFor(() => /batch piped: pending/.test(watch.stdout()), { what: 'the snapshot' });
    startWorker();
    const r = await watch.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // Plain lines only: no cursor movement, each stamped with the time since the start.
    expect(r.stdout).not.toContain(ESC);
    expect(lines.every((l) => /^\[\s*\d+\.\ds\] /.test(l))).toBe(true);
    // The snapshot in creation order, then the batch.
    expect(lines.slice(0, 4).map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
      'piped 1  pending  0%',
      'piped 2  pending  0%',
      'piped 3  pending  0%',
      'batch piped: pending, 0/3 completed, 0 failed, 0 running, 3 pending',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/piped 1 {2}running {2}\d+% {2}step \d\/4/));
    expect(lines).toContainEqual(expect.stringMatching(/piped 1 {2}completed {2}100%/));
    expect(lines.at(-1)).toMatch(/batch piped: completed, 3\/3 completed, 0 failed/);
  });

  test('a failed job makes the batch fail: exit 1', async () => {
    startWorker();
    const batch = await batchOf('doomed', progress(200), { action: 'throw-final' });
    const r = await kiln(s.url, ['watch', batch.id]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/doomed 2 {2}failed .*failing for good/);
    const last = r.stdout.trim().split('\n').at(-1);
    expect(last).toMatch(/batch doomed: failed, 1\/2 completed, 1 failed/);
  });

  test('a batch that has ended already: its final state at once', async () => {
    startWorker();
    const batch = await batchOf('over', { action: 'succeed' });
    await waitFor(async () => (await s.kiln.batches.get(batch.id))?.state === 'completed');
    const r = await kiln(s.url, ['watch', batch.id]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/over 1 {2}completed {2}100%/);
    expect(lines[1]).toMatch(/batch over: completed, 1\/1 completed/);
  });

  test('one job: its changes, exit 0 when it completes, 1 when it fails', async () => {
    const ok = await s.kiln.enqueue('test', progress(300));
    const watch = startKiln(s.url, ['watch', ok.id]);
    await waitFor(() => watch.stdout().includes('pending'), { what: 'the snapshot' });
    startWorker();
    const watched = await watch.done;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/running {2}\d+% {2}step \d\/4/);
    expect(watched.stdout).toMatch(/completed {2}100%/);
    expect(watched.stdout).not.toContain('batch');

    const bad = await s.kiln.enqueue('test', { action: 'throw-final' });
    const failed = await kiln(s.url, ['watch', bad.id]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failed .*failing for good/);
  });
});

test('Ctrl-C stops a watch: exit 130, nothing changed on the server', async () => {
  const batch = await batchOf('interrupted', { action: 'succeed' });
  const watch = startKiln(s.url, ['watch', batch.id]);
  await waitFor(() => /batch interrupted: pending/.test(watch.stdout()), { what: 'the snapshot' });
  watch.kill('SIGINT');
  const r = await watch.done;
  expect(r.code).toBe(130);
  expect(r.stderr).toBe('');
  expect((await s.kiln.batches.get(batch.id))?.state).toBe('pending');
});

test('kiln watch --json: NDJSON events, the snapshot first, the last batch event final', async () => {
  const batch = await batchOf('ndjson', progress(300), progress(300));
  const watch = startKiln(s.url, ['watch', batch.id, '--json']);
  await waitFor(() => watch.stdout().includes('"event":"snapshot"'), { what: 'the snapshot' });
  startWorker();
  const r = await watch.done;
  expect(r.code).toBe(0);
  const events = ndjson(r.stdout);
  expect(events[0]).toMatchObject({ event: 'batch', id: null, data: { id: batch.id } });
  expect(events[3]).toMatchObject({ event: 'snapshot', id: expect.stringMatching(/^\d+$/) });
  expect(new Set(events.map((e) => e.event))).toEqual(new Set(['batch', 'job', 'snapshot']));
  const lastBatch = events.findLast((e) => e.event === 'batch')!;
  expect(lastBatch.data).toMatchObject({ state: 'completed', counts: { completed: 2, total: 2 } });
  // Every report reached the watch, and progress never went backwards within the attempt.
  for (const name of ['ndjson 1', 'ndjson 2']) {
    const seen = events
      .filter((e) => e.event === 'job' && (e.data as { name: string }).name === name)
      .map((e) => e.data as { state: string; progress: number });
    expect(seen.map((j) => j.state)).toContain('running');
    expect(seen.at(-1)!.state).toBe('completed');
    const progresses = seen.map((j) => j.progress);
    expect(progresses).toEqual(progresses.toSorted((a, b) => a - b));
  }
});

test('kiln watch in a terminal: bars redrawn in place, the final state, the cursor restored', async () => {
  const batch = await batchOf('tty', progress(800), progress(800), { action: 'throw-final' });
  const watch = kilnInTerminal(s.url, ['watch', batch.id]);
  await waitFor(() => watch.output().includes('tty 3'), { what: 'the first frame' });
  startWorker();
  const r = await watch.done;
  expect(r.code).toBe(1);
  const out = uncoloured(r.output);
  expect(out).toContain(`${ESC}[?25l`); // cursor hidden while drawing
  expect(out).toMatch(new RegExp(`${ESC}\\[\\d+A\\r`)); // moved up to redraw the block
  expect(out).toContain(`${ESC}[2K`);
  // A frame in the middle: a job part done.
  expect(out).toMatch(/tty 1 +█+░+ +\d+% running +step \d\/4/);
  // The last frame: every job in its final state, in creation order, the batch failed.
  const lastFrame = out.slice(out.lastIndexOf(`${ESC}[?25h`) - 2000);
  expect(lastFrame).toMatch(/tty 1 +█+ 100% completed[^\n]*\n[^\n]*tty 2 +█+ 100% completed/);
  expect(lastFrame).toMatch(/✗ tty 3 +░+ +0% failed +failing for good/);
  expect(lastFrame).toMatch(/Σ tty +█+ 100% 2\/3 done · 1 failed/);
  expect(out.endsWith(`${ESC}[?25h`)).toBe(true); // the cursor shown again, last
});

test('kiln watch across a server restart: resumes with Last-Event-ID and ends normally', async () => {
  const batch = await batchOf('restart', progress(1_500), progress(1_500));
  const watch = startKiln(s.url, ['watch', batch.id, '--json']);
  await waitFor(() => watch.stdout().includes('"event":"snapshot"'), { what: 'the snapshot' });
  startWorker();
  await waitFor(() => watch.stdout().includes('"state":"running"'), { what: 'a running job' });
  const port = s.server.port;
  await s.server.close(); // ends every event stream
  await waitFor(() => watch.stderr().includes('resuming'), { what: 'the watch to notice' });
  s.server = await startServer({ kiln: s.kiln, port, log: () => {}, drainMs: 1_000 });
  const r = await watch.done;
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^kiln: event stream lost \(.+\); resuming\n$/);
  const events = ndjson(r.stdout);
  // No change twice: the ids (feed positions) strictly grow across the restart.
  const ids = events.flatMap((e) => (typeof e.id === 'string' ? [Number(e.id)] : []));
  expect(ids.length).toBeGreaterThan(2);
  expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
  expect(events.findLast((e) => e.event === 'batch')!.data).toMatchObject({ state: 'completed' });
});
