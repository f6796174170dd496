import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { expect, test } from 'vitest';
import { isDeadLocalWorker, newWorkerId } from '../../src/worker/liveness.ts';

const [host, ns] = newWorkerId('x').split('/');

test('a worker id names the host, PID namespace and pid', () => {
  const id = newWorkerId('abcd');
  expect(id).toBe(`${hostname()}/${ns}/${process.pid}/abcd`);
});

test('a local worker whose process is gone is dead; a live one is not', () => {
  // A process that has exited and been reaped: its pid names nobody (until reused).
  const gone = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  expect(isDeadLocalWorker(`${host}/${ns}/${gone}/r`)).toBe(true);
  expect(isDeadLocalWorker(`${host}/${ns}/${process.ppid}/r`)).toBe(false);
  expect(isDeadLocalWorker(newWorkerId('self'))).toBe(false);
});

test('workers of another host or namespace, and malformed ids, are never declared dead', () => {
  const gone = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  expect(isDeadLocalWorker(`other-host/${ns}/${gone}/r`)).toBe(false);
  expect(isDeadLocalWorker(`${host}/not-${ns}/${gone}/r`)).toBe(false);
  expect(isDeadLocalWorker('w-123-abc')).toBe(false);
  expect(isDeadLocalWorker(`${host}/${ns}/-1/r`)).toBe(false);
});
