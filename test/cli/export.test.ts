/**
 * `kiln export`: the batch's ZIP streamed to disk from a real server, a valid archive
 * with results.json and every artifact; a download cut short leaves no file behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { suggestedName } from '../../src/cli/commands/export.ts';
import { tempStore, waitFor } from '../support/helpers.ts';
import { type CliServer, cliServer, KILN_BIN, kiln } from './support.ts';

let s: CliServer;
const dir = tempStore();
beforeAll(async () => {
  s = await cliServer();
});
afterAll(async () => {
  await s?.close();
  dir.cleanup();
});

test('export writes a valid ZIP: results.json and every job’s files', async () => {
  const created = await kiln(s.url, [
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
    '--json',
  ]);
  const batchId = JSON.parse(created.stdout).id;
  await waitFor(async () => (await s.kiln.batches.get(batchId))?.state === 'completed');

  const path = join(dir.dir, 'out.zip');
  const r = await kiln(s.url, ['export', batchId, '-o', path]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(new RegExp(`^exported to ${path}: [\\d.]+ KB in [\\d.]+ s \\(`));
  expect(existsSync(`${path}.part`)).toBe(false);

  const files = unzipSync(new Uint8Array(readFileSync(path)));
  const results = JSON.parse(strFromU8(files['results.json']!));
  expect(results.batch).toMatchObject({ id: batchId, state: 'completed' });
  expect(results.jobs).toHaveLength(2);
  const artifacts = Object.keys(files).filter((name) => name.startsWith('artifacts/'));
  expect(artifacts.filter((name) => name.endsWith('/outline.md'))).toHaveLength(2);
  expect(artifacts.filter((name) => name.endsWith('/outline.json'))).toHaveLength(2);

  // `-o -`: the same archive on stdout (here a file), the progress on stderr.
  const piped = join(dir.dir, 'piped.zip');
  const fd = openSync(piped, 'w');
  const child = spawn(process.execPath, [KILN_BIN, 'export', batchId, '-o', '-'], {
    stdio: ['ignore', fd, 'pipe'],
    env: { ...process.env, KILN_URL: s.url, KILN_TOKEN: '' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = (await once(child, 'close')) as [number];
  closeSync(fd);
  expect(code).toBe(0);
  expect(stderr).toMatch(/^exported to stdout: /);
  expect(Object.keys(unzipSync(new Uint8Array(readFileSync(piped))))).toEqual(Object.keys(files));

  // A place that cannot be written: said before any byte is read, usage error.
  const nowhere = await kiln(s.url, ['export', batchId, '-o', join(dir.dir, 'no', 'x.zip')]);
  expect(nowhere.code).toBe(2);
  expect(nowhere.stderr).toMatch(/^kiln: cannot write .*x\.zip\.part: ENOENT/);
});

test('a download cut short exits 1 and leaves nothing behind', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip' });
    res.write(Buffer.alloc(64 * 1024, 1));
    setTimeout(() => res.socket?.destroy(), 50);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out = join(dir.dir, 'cut', 'never.zip');
    mkdirSync(join(dir.dir, 'cut'));
    const r = await kiln(url, ['export', 'some-batch', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^failed exporting to .*never\.zip: 64\.0 KB/m);
    expect(r.stderr).toMatch(
      /the export of batch some-batch was cut short .*\(EXPORT_INTERRUPTED\)/,
    );
    expect(readdirSync(join(dir.dir, 'cut'))).toEqual([]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('the file name the server suggests, never a path', () => {
  const id = '0190f5e2-0000-7000-8000-000000000000';
  expect(
    suggestedName(`attachment; filename="a b.zip"; filename*=UTF-8''a%20b%C3%A9.zip`, id),
  ).toBe('a bé.zip');
  expect(suggestedName('attachment; filename="plain.zip"', id)).toBe('plain.zip');
  expect(suggestedName(`attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`, id)).toBe('passwd');
  expect(suggestedName('attachment; filename=".."', id)).toBe(`${id}.zip`);
  expect(suggestedName(null, id)).toBe(`${id}.zip`);
});
