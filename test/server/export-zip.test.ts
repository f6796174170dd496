/**
 * GET /api/batches/{id}/export over real HTTP, on a batch whose jobs a real worker ran:
 * the ZIP unzipped and checked file by file against the store, results.json included;
 * the 404 before any byte; a store failure mid-stream aborting the transfer; a client
 * that hangs up leaving no temporary file behind. Runs on both stores.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch, Kiln } from '../../src/index.ts';
import { startServer } from '../../src/server/server.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { type ExportServer, exportServer, reportJob } from './export-support.ts';

const open = useKiln();
const servers: ExportServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(kiln: Kiln, log?: Parameters<typeof exportServer>[1]) {
  const server = await exportServer(kiln, log);
  servers.push(server);
  return server;
}

async function finished(kiln: Kiln, id: string): Promise<Batch> {
  return waitFor(
    async () => {
      const b = await kiln.batches.get(id);
      return b && b.counts.pending + b.counts.running === 0 ? b : null;
    },
    { what: `batch ${id} finished` },
  );
}

interface ResultsJson {
  exportedAt: string;
  batch: Batch & { createdAt: string };
  jobs: {
    id: string;
    name: string | null;
    type: string;
    state: string;
    params: unknown;
    result: unknown;
    error: { message: string } | null;
    attempt: number;
    usage: { tokens: number; costUsd: number };
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    artifacts: { name: string; path: string; sizeBytes: number; contentType: string | null }[];
  }[];
}

describe('batch export', () => {
  it('streams every artifact and results.json, checked file by file', async () => {
    const { kiln, work } = await open({ jobs: [reportJob] });
    const batch = await kiln.batches.create({
      name: 'Quarterly reports / Q3',
      metadata: { owner: 'test' },
      jobs: [
        { type: 'report', name: 'alpha', params: { files: 2, bytes: 300 } },
        { type: 'report', name: 'Alpha', params: { files: 1 } },
        { type: 'report', params: { files: 1 } },
        { type: 'report', name: 'a/b:c*?', params: { files: 1 } },
        { type: 'report', name: 'nothing', params: { files: 0 } },
        { type: 'report', name: 'broken', params: { files: 1, fail: true } },
        { type: 'report', name: 'binary', params: { files: 1, bytes: 200_000, text: false } },
      ],
    });
    work();
    const done = await finished(kiln, batch.id);
    expect(done.counts).toMatchObject({ total: 7, completed: 6, failed: 1 });
    const server = await serve(kiln);

    const res = await fetch(`${server.url}/api/batches/${batch.id}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Quarterly reports _ Q3.zip"; filename*=UTF-8''Quarterly%20reports%20_%20Q3.zip`,
    );
    const zip = new Uint8Array(await res.arrayBuffer());
    const methods = new Map<string, number>();
    const files = unzipSync(zip, {
      filter: (f) => {
        methods.set(f.name, f.compression);
        return true;
      },
    });

    const results = JSON.parse(new TextDecoder().decode(files['results.json'])) as ResultsJson;
    expect(results.batch).toMatchObject({
      id: batch.id,
      name: 'Quarterly reports / Q3',
      metadata: { owner: 'test' },
      state: 'failed',
      counts: { total: 7, completed: 6, failed: 1 },
    });
    expect(Date.parse(results.exportedAt)).toBeGreaterThan(0);
    expect(results.jobs).toHaveLength(7);

    // Every job, as the store has it; every artifact at its path, byte for byte.
    const paths = new Set<string>();
    for (const record of results.jobs) {
      const job = (await kiln.jobs.get(record.id))!;
      expect(record).toMatchObject({
        name: job.name,
        type: 'report',
        state: job.state,
        params: job.params,
        result: job.result,
        attempt: job.attempt,
        usage: { tokens: 10, costUsd: 0.01 },
        createdAt: job.createdAt.toISOString(),
        finishedAt: job.finishedAt?.toISOString(),
      });
      const stored = await kiln.artifacts.list(job.id);
      expect(record.artifacts.map((a) => a.name)).toEqual(stored.map((a) => a.name));
      for (const a of record.artifacts) {
        const bytes = await kiln.artifacts.read(job.id, a.name);
        expect(Buffer.from(files[a.path]!).equals(bytes), a.path).toBe(true);
        expect(a.sizeBytes).toBe(bytes.length);
        expect(methods.get(a.path)).toBe(0); // stored as is
        paths.add(a.path);
      }
    }
    expect(methods.get('results.json')).toBe(8); // deflated
    expect(new Set(Object.keys(files))).toEqual(new Set([...paths, 'results.json']));

    // Folders: the job's name made safe, unique even across case; the id without a name.
    const byName = (n: string | null) => results.jobs.filter((j) => j.name === n);
    const folderOf = (j: ResultsJson['jobs'][number]) => j.artifacts[0]?.path.split('/')[1];
    const alphas = [...byName('alpha'), ...byName('Alpha')].map(folderOf).sort();
    expect(alphas).toHaveLength(2);
    expect(alphas.map((f) => f?.toLowerCase().split('~')[0])).toEqual(['alpha', 'alpha']);
    expect(new Set(alphas.map((f) => f?.toLowerCase())).size).toBe(2);
    const unnamed = byName(null)[0]!;
    expect(folderOf(unnamed)).toBe(unnamed.id);
    expect(folderOf(byName('a/b:c*?')[0]!)).toBe('a_b_c_');
    expect(byName('nothing')[0]!.artifacts).toEqual([]);
    const broken = byName('broken')[0]!;
    expect(broken.state).toBe('failed');
    expect(broken.error?.message).toContain('failing after writing');
    expect(broken.artifacts).toHaveLength(1);
    expect(byName('alpha')[0]!.artifacts.map((a) => a.path.split('/').pop())).toEqual([
      'file-0.md',
      'file-1.md',
    ]);
  });

  it('answers an unknown batch with a 404 error body, not a ZIP', async () => {
    const { kiln } = await open({ jobs: [reportJob] });
    const server = await serve(kiln);
    for (const id of ['0190f5e2-0000-7000-8000-000000000000', 'not-an-id']) {
      const res = await fetch(`${server.url}/api/batches/${id}/export`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({
        error: { code: 'BATCH_NOT_FOUND', message: `no batch ${id}` },
      });
    }
  });

  it('is behind the token on the whole app (startServer)', async () => {
    const { kiln, work } = await open({ jobs: [reportJob] });
    const batch = await kiln.batches.create({ jobs: [{ type: 'report', params: { files: 1 } }] });
    work();
    await finished(kiln, batch.id);
    const server = await startServer({ kiln, port: 0, token: 'zip-secret', log: () => {} });
    try {
      const url = `${server.url}/api/batches/${batch.id}/export`;
      expect((await fetch(url)).status).toBe(401);
      const res = await fetch(url, { headers: { authorization: 'Bearer zip-secret' } });
      expect(res.status).toBe(200);
      const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
      expect(Object.keys(files).sort()).toEqual([
        `artifacts/${(await kiln.jobs.list({ batchId: batch.id })).items[0]!.id}/file-0.md`,
        'results.json',
      ]);
    } finally {
      await server.close();
    }
  });

  it('is described in /openapi.json as a ZIP, with its 404', async () => {
    const { kiln } = await open({ jobs: [reportJob] });
    const server = await serve(kiln);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, { get: { responses: Record<string, { content: object }> } }>;
    };
    const op = doc.paths['/api/batches/{id}/export']!.get;
    expect(Object.keys(op.responses[200]!.content)).toEqual(['application/zip']);
    expect(Object.keys(op.responses[404]!.content)).toEqual(['application/json']);
  });

  it('an empty batch (its jobs deleted) is a ZIP of results.json alone', async () => {
    const { kiln, work } = await open({ jobs: [reportJob] });
    const batch = await kiln.batches.create({ jobs: [{ type: 'report', params: { files: 1 } }] });
    work();
    await finished(kiln, batch.id);
    const [job] = (await kiln.jobs.list({ batchId: batch.id })).items;
    await kiln.jobs.delete(job!.id);
    const server = await serve(kiln);
    const res = await fetch(`${server.url}/api/batches/${batch.id}/export`);
    if (res.status === 404) return; // the store removed the emptied batch with its job
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files)).toEqual(['results.json']);
    const results = JSON.parse(new TextDecoder().decode(files['results.json'])) as ResultsJson;
    expect(results.jobs).toEqual([]);
  });

  it('aborts the connection when the store fails mid-stream', async () => {
    const { kiln, work } = await open({ jobs: [reportJob] });
    const batch = await kiln.batches.create({
      jobs: Array.from({ length: 5 }, (_, i) => ({
        type: 'report',
        name: `j${i}`,
        params: { files: 2, bytes: 50_000 },
      })),
    });
    work();
    await finished(kiln, batch.id);
    const logged: { event: string; fields: Record<string, unknown> | undefined }[] = [];
    const server = await serve(kiln, (_level, event, fields) => logged.push({ event, fields }));
    const read = kiln.artifacts.read;
    let reads = 0;
    kiln.artifacts.read = async (jobId, name) => {
      if (++reads === 4) throw new Error('disk on fire');
      return read(jobId, name);
    };
    const res = await fetch(`${server.url}/api/batches/${batch.id}/export`);
    expect(res.status).toBe(200);
    // The transfer ends without the chunked terminator: the client sees an error, never
    // a shorter archive that looks whole.
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(logged).toContainEqual({
      event: 'export:failed',
      fields: { batchId: batch.id, error: 'disk on fire' },
    });
  });

  it('a client that hangs up mid-download leaves no temporary file behind', async () => {
    const { kiln, work } = await open({ jobs: [reportJob] });
    const batch = await kiln.batches.create({
      jobs: Array.from({ length: 20 }, (_, i) => ({
        type: 'report',
        name: `j${i}`,
        params: { files: 1, bytes: 500_000, text: false },
      })),
    });
    work();
    await finished(kiln, batch.id);
    const server = await serve(kiln);
    const spoolDir = mkdtempSync(join(tmpdir(), 'kiln-export-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spoolDir;
    try {
      const controller = new AbortController();
      const res = await fetch(`${server.url}/api/batches/${batch.id}/export`, {
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      expect(readdirSync(spoolDir)).toHaveLength(1); // results.json is being spooled
      controller.abort();
      await waitFor(() => readdirSync(spoolDir).length === 0, { what: 'the spool removed' });
    } finally {
      process.env.TMPDIR = saved;
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
