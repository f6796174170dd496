/**
 * The whole HTTP API on a real socket for the http-*.test.ts files: a Kiln on a fresh
 * store (SQLite, or a PostgreSQL schema under the `postgres` project), `startServer` on
 * 127.0.0.1 port 0, requests through fetch or raw node:http, and a look at the store to
 * prove that a refused request changed nothing.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, expect } from 'vitest';
import { demoJobs, demoTemplates } from '../../src/demo/index.ts';
import { Kiln, type Worker } from '../../src/index.ts';
import type { Logger } from '../../src/server/deps.ts';
import {
  type RunningServer,
  type StartServerOptions,
  startServer,
} from '../../src/server/server.ts';
import { FAST_WORKER } from '../support/library.ts';
import { newTestStore, type TestStore } from '../support/stores.ts';
import { testJobs } from '../support/test-jobs.ts';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever came back
  body: any;
}

export interface LogLine {
  level: string;
  event: string;
  fields: Record<string, unknown>;
}

export interface TestServer {
  kiln: Kiln;
  store: TestStore;
  server: RunningServer;
  url: string;
  logs: LogLine[];
  /** Starts a fast worker in this process (stopped after the test). */
  work(): Worker;
  /** A JSON request through fetch: `body` is sent as JSON unless it is a string. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  /** The path exactly as given (no URL normalisation): path tricks reach the server as sent. */
  raw(
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: string,
  ): Promise<Answer>;
  /** What a refused request must leave alone: row counts and the feed position. */
  snapshot(): Promise<StoreSnapshot>;
  /** Asserts that nothing changed since `before`: same counts, no feed entry after it. */
  expectUnchanged(before: StoreSnapshot): Promise<void>;
}

export interface StoreSnapshot {
  jobs: number;
  batches: number;
  templates: number;
  seq: number;
}

type ServerOptions = Omit<StartServerOptions, 'kiln' | 'log'>;

/** Registers an afterEach that closes every server, worker and Kiln and removes the stores. */
export function useServer(): (options?: ServerOptions) => Promise<TestServer> {
  const cleanups: ((failed: boolean) => Promise<void>)[] = [];
  afterEach(async (context) => {
    const failed = context.task.result?.state === 'fail';
    for (const c of cleanups.splice(0).reverse()) await c(failed);
  });
  return async (options = {}) => {
    const store = newTestStore();
    cleanups.push((failed) => store.cleanup(failed));
    const kiln = await Kiln.open({
      store: store.url,
      jobs: [...demoJobs, ...testJobs],
      templates: demoTemplates,
    });
    const workers: Worker[] = [];
    cleanups.push(async () => {
      await Promise.all(workers.map((w) => w.stop(50)));
      await kiln.close();
    });
    const logs: LogLine[] = [];
    const log: Logger = (level, event, fields = {}) => logs.push({ level, event, fields });
    const server = await startServer({ kiln, port: 0, log, drainMs: 2_000, ...options });
    cleanups.push(() => server.close());
    const count = async (table: string) =>
      Number((await store.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
    const snapshot = async (): Promise<StoreSnapshot> => ({
      jobs: await count('jobs'),
      batches: await count('batches'),
      templates: await count('templates'),
      seq: await kiln.store.currentSeq(),
    });
    return {
      kiln,
      store,
      server,
      url: server.url,
      logs,
      work() {
        const w = kiln.work({ ...FAST_WORKER });
        workers.push(w);
        return w;
      },
      async call(method, path, body, headers = {}) {
        const init: RequestInit = { method, headers: { ...headers } };
        if (body !== undefined) {
          init.body = typeof body === 'string' ? body : JSON.stringify(body);
          init.headers = { 'content-type': 'application/json', ...headers };
        }
        return answer(await fetch(server.url + path, init));
      },
      raw: (method, path, headers, body) => rawRequest(server.url, method, path, headers, body),
      snapshot,
      async expectUnchanged(before) {
        const after = await snapshot();
        expect({ ...after, seq: 0 }).toEqual({ ...before, seq: 0 });
        // The feed position may move on PostgreSQL (other transactions on the server),
        // but no change of this store may be found after it.
        expect(await kiln.store.changesSince(before.seq, {}, 10)).toEqual([]);
      },
    };
  };
}

export async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** One request over node:http with the path untouched (fetch would resolve `..`). */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === 'string') h.set(k, v);
        }
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Expects a catalogue error answer: status, code, and the one error body shape. */
export function expectError(a: Answer, status: number, code: string): void {
  expect({ status: a.status, code: a.body?.error?.code }, a.text).toEqual({ status, code });
  expect(typeof a.body.error.message).toBe('string');
  expect(Object.keys(a.body.error).every((k) => ['code', 'message', 'details'].includes(k))).toBe(
    true,
  );
}

/** A presentation job's params that run at full speed. */
export function slides(n: number, title = 'Deck'): Record<string, unknown> {
  return {
    title,
    slides: Array.from({ length: n }, (_, i) => ({
      title: `Slide ${i + 1}`,
      body: `Point ${i + 1}`,
    })),
    paceMs: 0,
  };
}
