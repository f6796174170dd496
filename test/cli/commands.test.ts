/**
 * Every client command against a real server (real socket, real store, a worker), run
 * as `kiln` child processes: output, --json, and the exit codes scripts rely on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tempStore, waitFor } from '../support/helpers.ts';
import { type CliServer, cliServer, kiln } from './support.ts';

let s: CliServer;
beforeAll(async () => {
  s = await cliServer();
});
afterAll(async () => {
  await s?.close();
});

const run = (...args: string[]) => kiln(s.url, args);

describe('submit and status', () => {
  test('submit prints the new id; status shows the job; --json parses', async () => {
    const submitted = await run(
      'submit',
      'test',
      '--param',
      'action=succeed',
      '--param',
      'value={"n":7}',
      '--name',
      'seven',
    );
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    await waitFor(async () => (await s.kiln.jobs.get(id))?.state === 'completed');
    const plain = await run('status', id);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^job\s+/m);
    expect(plain.stdout).toMatch(/^state\s+completed$/m);
    expect(plain.stdout).toMatch(/^name\s+seven$/m);
    expect(plain.stdout).toMatch(/^result\s+.*"n":7/m);

    const json = await run('status', id, '--json');
    const job = JSON.parse(json.stdout);
    expect(job).toMatchObject({ id, type: 'test', state: 'completed', name: 'seven' });
    expect(job.params).toMatchObject({ action: 'succeed', value: { n: 7 } });
  });

  test('submit --json, --params with --param over it, --priority, --key, --run-at', async () => {
    const args = [
      'submit',
      'test',
      '--params',
      '{"action":"throw","ms":5}',
      '-p',
      'action=sleep',
      '--priority',
      '3',
      '--key',
      'once-only',
      '--run-at',
      '1h',
      '--json',
    ];
    const first = JSON.parse((await run(...args)).stdout);
    expect(first).toMatchObject({ state: 'pending', priority: 3, idempotencyKey: 'once-only' });
    expect(first.params).toMatchObject({ action: 'sleep', ms: 5 });
    expect(Date.parse(first.runAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    // The same key: the same job, not a second one.
    const again = JSON.parse((await run(...args)).stdout);
    expect(again.id).toBe(first.id);
    expect((await run('cancel', first.id)).code).toBe(0);
  });

  test('the server rejecting input is a usage error (2) with its message and code', async () => {
    const unknownType = await run('submit', 'no-such-type');
    expect(unknownType.code).toBe(2);
    expect(unknownType.stderr).toMatch(/^kiln: .*\(UNKNOWN_JOB_TYPE\)\n$/);
    const badParams = await run('submit', 'curriculum', '--param', 'grade=99');
    expect(badParams.code).toBe(2);
    expect(badParams.stderr).toMatch(/\(VALIDATION_FAILED\)/);
  });

  test('usage errors exit 2 and point at the help', async () => {
    const missing = await run('submit');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('kiln submit --help');
    const badOption = await run('status', 'x', '--jsn');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('did you mean --json?');
    const badJson = await run('submit', 'test', '--params', '{nope');
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--params is not JSON');
    const badUrl = await kiln(s.url, ['list'], { KILN_URL: 'not a url' });
    expect(badUrl.code).toBe(2);
  });

  test('an unknown id is not found (3)', async () => {
    const missing = '0190f5e2-0000-7000-8000-000000000000';
    for (const command of ['status', 'watch', 'cancel', 'retry']) {
      const r = await run(command, missing);
      expect(r.code, command).toBe(3);
      expect(r.stderr, command).toBe(`kiln: no job or batch ${missing} (NOT_FOUND)\n`);
    }
    const pause = await run('pause', missing);
    expect(pause.code).toBe(3);
    expect(pause.stderr).toMatch(/\(BATCH_NOT_FOUND\)/);
    expect((await run('export', missing)).code).toBe(3);
  });
});

describe('batch create', () => {
  test('from a template with --axis: one job per cell, its id printed', async () => {
    const created = await run(
      'batch',
      'create',
      '--template',
      'curriculum-grid',
      '--axis',
      'subject=math,art',
      '--axis',
      'grade=3',
      '--param',
      'paceMs=0',
      '--name',
      'two subjects',
    );
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(created.stderr).toMatch(/^batch two subjects: 2 jobs, /);
    const batch = await waitFor(async () => {
      const b = await s.kiln.batches.get(id);
      return b?.state === 'completed' ? b : null;
    });
    expect(batch.template).toBe('curriculum-grid');
    const jobs = await s.kiln.jobs.list({ batchId: id });
    expect(jobs.items.map((j) => j.name).sort()).toEqual([
      'subject=art, grade=3',
      'subject=math, grade=3',
    ]);

    const status = JSON.parse((await run('status', id, '--json')).stdout);
    expect(status).toMatchObject({ id, state: 'completed', counts: { total: 2, completed: 2 } });
    const plain = await run('status', id);
    expect(plain.stdout).toMatch(/^jobs\s+2 total: 2 completed/m);
  });

  test('--concurrency caps the batch; 0 is a usage error', async () => {
    const r = await run(
      'batch',
      'create',
      '-t',
      'curriculum-grid',
      '-p',
      'paceMs=0',
      '--concurrency',
      '2',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).concurrency).toBe(2);
    const refused = await run('batch', 'create', '-t', 'curriculum-grid', '--concurrency', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--concurrency must be an integer >= 1');
  });

  test('--grid JSON, and --json prints the batch', async () => {
    const r = await run(
      'batch',
      'create',
      '-t',
      'curriculum-grid',
      '--grid',
      '{"subject":["history"],"grade":[4,5]}',
      '-p',
      'paceMs=0',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ counts: { total: 2 }, name: 'curriculum-grid' });
  });

  test('from a JSON file and from a CSV file', async () => {
    const dir = tempStore();
    try {
      const jsonFile = join(dir.dir, 'jobs.json');
      writeFileSync(
        jsonFile,
        JSON.stringify([
          { type: 'test', params: { value: 1 }, name: 'one' },
          { type: 'test', params: { value: 2 } },
        ]),
      );
      const fromJson = await run('batch', 'create', '--file', jsonFile, '--name', 'from json');
      expect(fromJson.code).toBe(0);
      const a = await s.kiln.batches.get(fromJson.stdout.trim());
      expect(a).toMatchObject({ name: 'from json', counts: { total: 2 } });

      const csvFile = join(dir.dir, 'jobs.csv');
      writeFileSync(
        csvFile,
        'name,action,value,priority\r\n"first, quoted",succeed,1,5\r\nsecond,succeed,"{""k"":2}",\r\n',
      );
      const fromCsv = await run('batch', 'create', '-f', csvFile, '--type', 'test', '--json');
      expect(fromCsv.code).toBe(0);
      const batchId = JSON.parse(fromCsv.stdout).id;
      const jobs = (await s.kiln.jobs.list({ batchId })).items;
      const byName = Object.fromEntries(jobs.map((j) => [j.name, j]));
      expect(byName['first, quoted']).toMatchObject({
        priority: 5,
        params: { action: 'succeed', value: 1 },
      });
      expect(byName.second?.params).toMatchObject({ value: { k: 2 } });

      const noType = await run('batch', 'create', '-f', csvFile);
      expect(noType.code).toBe(2);
      expect(noType.stderr).toContain('no `type` column');
    } finally {
      dir.cleanup();
    }
  });

  test('usage: neither template nor file, an unknown template (3)', async () => {
    const neither = await run('batch', 'create');
    expect(neither.code).toBe(2);
    expect((await run('batch', 'make')).code).toBe(2);
    const unknown = await run('batch', 'create', '--template', 'nope');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/\(TEMPLATE_NOT_FOUND\)/);
  });
});

describe('list and actions', () => {
  test('list jobs with filters, list batches, --json pages with a cursor', async () => {
    const created = await run(
      'batch',
      'create',
      '--file',
      await jobsFile([{ action: 'succeed' }, { action: 'succeed' }, { action: 'succeed' }]),
    );
    const batchId = created.stdout.trim();
    await waitFor(async () => (await s.kiln.batches.get(batchId))?.state === 'completed');

    const table = await run('list', '--batch', batchId, '--state', 'completed');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+STATE\s+PROGRESS/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => /\btest\s+completed\s+100%/.test(l))).toBe(true);

    const page = JSON.parse((await run('list', 'jobs', '-b', batchId, '-n', '2', '--json')).stdout);
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = JSON.parse(
      (await run('list', '-b', batchId, '-n', '2', '--cursor', page.nextCursor, '--json')).stdout,
    );
    expect(next.items).toHaveLength(1);
    expect(next.nextCursor).toBeNull();
    const more = await run('list', '-b', batchId, '-n', '2');
    expect(more.stderr).toContain('--cursor');

    const batches = await run('list', 'batches');
    expect(batches.stdout).toMatch(/^ID\s+NAME\s+STATE/);
    expect(batches.stdout).toContain(batchId);
    expect((await run('list', 'batches', '--state', 'failed')).code).toBe(2);
    expect((await run('list', 'things')).code).toBe(2);
  });

  test('pause and resume a batch; cancel a job; retry it', async () => {
    const worker = s.worker!;
    const created = await run(
      'batch',
      'create',
      '--file',
      await jobsFile([{ action: 'sleep', ms: 60_000 }, { action: 'succeed' }]),
      '--run-at',
      '10m',
      '--json',
    );
    const batchId = JSON.parse(created.stdout).id;
    const paused = await run('pause', batchId);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/: paused, 0\/2 completed/);
    const resumed = JSON.parse((await run('resume', batchId, '--json')).stdout);
    expect(resumed.state).toBe('pending');

    const jobs = (await s.kiln.jobs.list({ batchId })).items;
    const cancelled = await run('cancel', jobs[0]!.id);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/: cancelled$/m);
    // Cancelling it again: the server refuses (409), exit 1.
    const again = await run('cancel', jobs[0]!.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(INVALID_TRANSITION\)/);
    const retried = JSON.parse((await run('retry', jobs[0]!.id, '--json')).stdout);
    expect(retried.state).toBe('pending');

    const batchCancel = JSON.parse((await run('cancel', batchId, '--json')).stdout);
    expect(batchCancel.state).toBe('cancelled');
    expect(worker.running).toBe(0);
  });

  test('retry on a batch retries its failed jobs', async () => {
    const created = await run(
      'batch',
      'create',
      '--file',
      await jobsFile([{ action: 'throw-final' }, { action: 'succeed' }]),
    );
    const batchId = created.stdout.trim();
    await waitFor(async () => (await s.kiln.batches.get(batchId))?.state === 'failed');
    const r = await run('retry', batchId);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`batch ${batchId}`);
    await waitFor(async () => (await s.kiln.batches.get(batchId))?.counts.failed === 1);
  });

  test('prune answers counts', async () => {
    const r = await run('prune', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ jobs: expect.any(Number), batches: expect.any(Number) });
    expect((await run('prune')).stdout).toMatch(/^pruned \d+ jobs and \d+ batches\n$/);
  });
});

describe('connection and auth', () => {
  test('no server: exit 4 and a message naming the URL and `kiln serve`', async () => {
    const closed = await cliServer({ worker: false });
    const url = closed.url;
    await closed.close();
    const r = await kiln(url, ['list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`cannot reach the Kiln server at ${url} (ECONNREFUSED)`);
    expect(r.stderr).toContain('kiln serve');
    expect(r.stderr).toMatch(/\(UNREACHABLE\)\n$/);
  });

  test('a server with a token: without it exit 4, with --token or KILN_TOKEN it works', async () => {
    const guarded = await cliServer({ token: 's3cret', worker: false });
    try {
      const refused = await kiln(guarded.url, ['list']);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/\(UNAUTHORIZED\)/);
      expect((await kiln(guarded.url, ['list', '--token', 'wrong'])).code).toBe(4);
      expect((await kiln(guarded.url, ['list', '--token', 's3cret'])).code).toBe(0);
      const viaEnv = await kiln(guarded.url, ['list', 'batches'], { KILN_TOKEN: 's3cret' });
      expect(viaEnv.code).toBe(0);
    } finally {
      await guarded.close();
    }
  });

  test('--help on the command and on each client command', async () => {
    const help = await run('--help');
    expect(help.stdout).toContain('Exit codes:');
    for (const command of ['submit', 'batch', 'status', 'list', 'watch', 'export', 'prune']) {
      expect(help.stdout, command).toMatch(new RegExp(`^  ${command} `, 'm'));
      const own = await run(command, '--help');
      expect(own.code, command).toBe(0);
      expect(own.stdout, command).toContain(`Usage: kiln ${command}`);
    }
  });
});

let files = 0;
const fileDir = tempStore();
afterAll(() => fileDir.cleanup());
/** A batch file of test jobs with these behaviours. */
async function jobsFile(behaviours: Record<string, unknown>[]): Promise<string> {
  const path = join(fileDir.dir, `jobs-${++files}.json`);
  writeFileSync(path, JSON.stringify(behaviours.map((params) => ({ type: 'test', params }))));
  return path;
}
