/**
 * The short fuzz run, on the store of this project: `npm run fuzz` as a child process,
 * 2,000 HTTP cases and 50 CLI cases against a real `kiln serve`, nothing found. Before
 * it, the proofs that the run means something: the digest sees a change of any row,
 * the same seed draws the same cases, and each check fails the answer or the exit it
 * is meant to catch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { type CliRun, checkAnswer, checkCli } from '../../scripts/fuzz/check.ts';
import { cliCaseArbitrary } from '../../scripts/fuzz/cli-cases.ts';
import { type Digest, digestStore } from '../../scripts/fuzz/digest.ts';
import type { FuzzSummary } from '../../scripts/fuzz/harness.ts';
import { caseArbitrary, mutate } from '../../scripts/fuzz/http-cases.ts';
import type { Answer } from '../../scripts/fuzz/http-send.ts';
import { Kiln } from '../../src/index.ts';
import { runNode, tempStore } from '../support/helpers.ts';
import { newTestStore, STORE_KIND } from '../support/stores.ts';
import { testJob } from '../support/test-jobs.ts';

const RUN = join(import.meta.dirname, '../../scripts/fuzz/run.ts');
const TOKEN = 'fuzz-secret-token';

test(`the digest of a ${STORE_KIND} store changes with any row, and only then`, async () => {
  const store = newTestStore();
  const kiln = await Kiln.open({ store: store.url, jobs: [testJob] });
  try {
    const empty = await digestStore(kiln.store);
    expect(await digestStore(kiln.store)).toEqual(empty);
    const job = await kiln.enqueue(testJob, {});
    const one = await digestStore(kiln.store);
    expect(one.jobs).not.toBe(empty.jobs);
    expect(one.templates).toBe(empty.templates);
    await kiln.jobs.cancel(job.id);
    const cancelled = await digestStore(kiln.store);
    expect(cancelled.jobs).not.toBe(one.jobs);
    expect(await digestStore(kiln.store)).toEqual(cancelled);
  } finally {
    await kiln.close();
    await store.cleanup();
  }
});

test('the same seed draws the same cases; mutations keep keys JSON would keep', () => {
  const a = fc.sample(caseArbitrary, { seed: 11, numRuns: 200 });
  expect(fc.sample(caseArbitrary, { seed: 11, numRuns: 200 })).toEqual(a);
  expect(fc.sample(caseArbitrary, { seed: 12, numRuns: 200 })).not.toEqual(a);
  expect(fc.sample(cliCaseArbitrary, { seed: 11, numRuns: 50 })).toEqual(
    fc.sample(cliCaseArbitrary, { seed: 11, numRuns: 50 }),
  );
  // A key named __proto__ becomes a real key, as JSON.parse would make it on the server.
  const added = mutate({ type: 'x' }, { at: [], op: 'add', key: '__proto__', value: 1 });
  expect(JSON.stringify(added)).toBe('{"type":"x","__proto__":1}');
  expect(mutate({ a: [1, 2] }, { at: [0, 1], op: 'delete', key: '', value: null })).toEqual({
    a: [1],
  });
});

const digest = (jobs: string): Digest => ({
  templates: 't',
  batches: 'b',
  jobs,
  logs: 'l',
  attempts: 'a',
  artifacts: 'f',
});
const answer = (status: number | null, body: unknown, over: Partial<Answer> = {}): Answer => ({
  status,
  contentType: typeof body === 'string' ? 'text/plain' : 'application/json',
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  sent: 'test',
  carriedToken: false,
  oversized: false,
  ...over,
});
const http = { kind: 'http' as const, method: 'POST' };
const check = (a: Answer, after = digest('1'), c: Parameters<typeof checkAnswer>[1] = http) =>
  checkAnswer(a, c, TOKEN, digest('1'), after);
const refusal = { error: { code: 'JOB_NOT_FOUND', message: 'no job x' } };

test('an answer passes only as a catalogued refusal that changed nothing, or a success', () => {
  expect(check(answer(404, refusal))).toEqual([]);
  expect(check(answer(201, { id: 'j' }), digest('2'))).toEqual([]);
  expect(check(answer(500, { error: { code: 'INTERNAL', message: 'x' } }))).toEqual([
    'a 500 answer: {"error":{"code":"INTERNAL","message":"x"}}',
  ]);
  expect(check(answer(null, '', { error: 'socket hang up' }))).toEqual([
    'no answer (socket hang up)',
  ]);
  expect(check(answer(404, 'not found'))).toEqual(['a 404 whose body is text/plain, not JSON']);
  expect(check(answer(400, { error: { code: 'NOPE', message: 'x' } }))).toEqual([
    'a 400 whose body has the uncatalogued code NOPE',
  ]);
  expect(check(answer(400, { error: 'x' }))).toEqual([
    'a 400 whose body has no { error: { code, message } }',
  ]);
  expect(
    check(answer(400, { error: { code: 'INVALID_ARGUMENT', message: 'x\n    at f (a.ts:1)' } })),
  ).toEqual(['a 400 whose body carries a stack trace']);
  expect(check(answer(404, refusal), digest('2'))).toEqual(['refused (404), yet changed jobs']);
  expect(check(answer(200, { echo: TOKEN }))).toEqual(['the answer carries the server token']);
  expect(check(answer(200, { echo: TOKEN }, { carriedToken: true }))).toEqual([]);
  // HEAD answers have no body; raw framing errors are answered by Node's parser, in text.
  expect(check(answer(405, ''), digest('1'), { kind: 'http', method: 'HEAD' })).toEqual([]);
  const raw = (wellFramed: boolean) => ({ kind: 'raw' as const, wellFramed });
  expect(check(answer(400, 'Bad Request'), digest('1'), raw(false))).toEqual([]);
  expect(check(answer(null, ''), digest('1'), raw(false))).toEqual([]);
  expect(check(answer(null, ''), digest('1'), raw(true))).toEqual([
    'no answer (connection closed)',
  ]);
  // A body over the limit may meet a reset before the answer; any other body may not.
  const reset = { error: 'read ECONNRESET' };
  expect(check(answer(null, '', { ...reset, oversized: true }))).toEqual([]);
  expect(check(answer(null, '', reset))).toEqual(['no answer (read ECONNRESET)']);
});

const exit = (over: Partial<CliRun>): CliRun => ({
  code: 0,
  signal: null,
  stderr: '',
  interrupted: false,
  killed: false,
  ...over,
});
const cli = (run: CliRun, after = digest('1')) => checkCli(run, digest('1'), after);

test('a CLI run passes only with a documented exit, no stack, and no change when it failed', () => {
  expect(cli(exit({ code: 0 }), digest('2'))).toEqual([]);
  expect(cli(exit({ code: 2, stderr: 'kiln: --limit must be 1-1000' }))).toEqual([]);
  expect(cli(exit({ code: 130, interrupted: true }))).toEqual([]);
  expect(cli(exit({ code: null, signal: 'SIGINT', interrupted: true }))).toEqual([]);
  expect(cli(exit({ code: null, signal: 'SIGINT' }))).toEqual(['ended by SIGINT']);
  expect(cli(exit({ code: 7 }))).toEqual(['exit code 7']);
  expect(cli(exit({ code: null, signal: 'SIGSEGV' }))).toEqual(['ended by SIGSEGV']);
  expect(cli(exit({ code: null, signal: 'SIGKILL', killed: true }))).toEqual([
    'hung: still running after SIGINT',
  ]);
  expect(
    cli(exit({ code: 1, stderr: 'TypeError: x\n    at run (/k/src/cli/a.ts:3:9)\n' })),
  ).toEqual(['a stack trace on stderr']);
  expect(cli(exit({ code: 2 }), digest('2'))).toEqual(['failed (exit 2), yet changed jobs']);
});

test(`a short fuzz run on ${STORE_KIND}: 2,000 HTTP and 50 CLI cases, nothing found`, {
  timeout: 180_000,
}, async () => {
  const dir = tempStore();
  try {
    const out = join(dir.dir, 'summary.json');
    const run = runNode([
      RUN,
      '--store',
      STORE_KIND,
      '--seed',
      '3',
      '--runs',
      '2000',
      '--cli-runs',
      '50',
      '--out',
      out,
    ]);
    const { code, stdout, stderr } = await run.done;
    expect(code, `${stdout}\n${stderr}`).not.toBe(3);
    const summary = JSON.parse(readFileSync(out, 'utf8')) as FuzzSummary;
    expect(summary.findings, stdout).toEqual([]);
    expect(code).toBe(0);
    expect(summary.http.cases).toBe(2000);
    expect(summary.cli.cases).toBe(50);
    expect(summary.http.fiveXx).toBe(0);
    // The cases reach deep enough to be both accepted and refused, on the socket too.
    expect(summary.http.byStatus['2xx']).toBeGreaterThan(100);
    expect(summary.http.byStatus['4xx']).toBeGreaterThan(100);
    expect(summary.http.raw).toBeGreaterThan(0);
    expect(Object.keys(summary.http.codes).length).toBeGreaterThan(5);
  } finally {
    dir.cleanup();
  }
});
