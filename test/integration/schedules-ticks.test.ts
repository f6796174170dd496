/**
 * Scheduled batches on both stores: a template's cron ticks create its batches, each
 * tick exactly once however many processes run the scheduler; ticks missed while no
 * scheduler ran follow the template's policy; a new schedule does not backfill.
 */
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { Kiln, KilnError, type Template } from '../../src/index.ts';
import { latestTickAtOrBefore } from '../../src/schedules/schedule.ts';
import { startScheduler } from '../../src/services/index.ts';
import { type SpawnedProcess, spawnScript, supportFile, waitFor } from '../support/helpers.ts';
import { newTestStore, type TestStore } from '../support/stores.ts';
import { testJob } from '../support/test-jobs.ts';

const cleanups: ((failed: boolean) => Promise<void> | void)[] = [];
afterEach(async (context) => {
  const failed = context.task.result?.state === 'fail';
  for (const c of cleanups.splice(0).reverse()) await c(failed);
});

async function setup(): Promise<{ store: TestStore; open: () => Promise<Kiln> }> {
  const store = newTestStore();
  cleanups.push((failed) => store.cleanup(failed));
  const open = async () => {
    const kiln = await Kiln.open({ store: store.url, jobs: [testJob] });
    cleanups.push(() => kiln.close());
    return kiln;
  };
  return { store, open };
}

/** Writes to the store's tables behind Kiln's back: a scheduler that was down, simulated. */
async function setLastTick(store: TestStore, template: string, atMs: number): Promise<void> {
  const sql = 'UPDATE templates SET last_tick_at_ms = ? WHERE name = ?';
  if (store.kind === 'postgres') {
    await store.query(sql, atMs, template);
    return;
  }
  const db = new DatabaseSync(store.path, { timeout: 5_000 });
  try {
    db.prepare(sql).run(atMs, template);
  } finally {
    db.close();
  }
}

async function rejectsWith(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return error instanceof KilnError ? error.code : String(error);
  }
  return undefined;
}

/** A daily cron whose tick today was two hours ago (UTC): surely missed, never due soon. */
function dailyTwoHoursAgo(): string {
  const d = new Date(Date.now() - 2 * 3_600_000);
  return `${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
}

describe('scheduled templates', () => {
  it('saves a schedule with its defaults, refuses invalid ones, and keeps the last tick while it is unchanged', async () => {
    const { open } = await setup();
    const kiln = await open();
    const before = Date.now();
    const saved = await kiln.templates.save({
      name: 'report',
      type: 'test',
      schedule: { cron: '*/5 * * * *', timezone: 'Europe/Paris' },
    });
    expect(saved.schedule).toEqual({
      cron: '*/5 * * * *',
      timezone: 'Europe/Paris',
      missed: 'run-once',
    });
    expect(saved.lastTickAt!.getTime()).toBeGreaterThanOrEqual(before - 1_000);

    const again = await kiln.templates.save({
      name: 'report',
      type: 'test',
      description: 'edited',
      schedule: { cron: '*/5 * * * *', timezone: 'Europe/Paris' },
    });
    expect(again.lastTickAt).toEqual(saved.lastTickAt);
    const unscheduled = await kiln.templates.save({ name: 'report', type: 'test' });
    expect(unscheduled).toMatchObject({ schedule: null, lastTickAt: null });

    for (const schedule of [
      { cron: 'every day' },
      { cron: '61 * * * *' },
      { cron: '0 0 30 2 *' },
      { cron: '* * * * *', timezone: 'Mars/Olympus_Mons' },
      { cron: '* * * * *', missed: 'all' },
      { cron: '* * * * *', every: 'day' },
      { timezone: 'UTC' },
    ]) {
      expect(
        await rejectsWith(() =>
          kiln.templates.save({ name: 'bad', type: 'test', schedule: schedule as never }),
        ),
        JSON.stringify(schedule),
      ).toBe('INVALID_SCHEDULE');
    }
    expect((await kiln.templates.list()).map((t: Template) => t.name)).toEqual(['report']);
  });

  it('each tick creates a batch from the template, named by its tick', async () => {
    const { open } = await setup();
    const kiln = await open();
    await kiln.templates.save({
      name: 'ticker',
      type: 'test',
      params: { action: 'succeed' },
      grid: { value: [1, 2] },
      schedule: { cron: '* * * * * *' },
    });
    const scheduler = startScheduler({ kiln, log: () => {} });
    cleanups.push(() => scheduler.stop());
    const batches = await waitFor(
      async () => {
        const page = await kiln.batches.list();
        return page.items.length >= 2 ? page.items : null;
      },
      { what: 'two scheduled batches' },
    );
    for (const b of batches) {
      const tick = new Date(String(b.metadata!.scheduledFor));
      expect(tick.getUTCMilliseconds()).toBe(0);
      const hhmm = tick.toISOString().slice(0, 16).replace('T', ' ');
      const ss = tick.getUTCSeconds();
      expect(b.name).toBe(`ticker ${hhmm}${ss === 0 ? '' : `:${String(ss).padStart(2, '0')}`}`);
      expect(b.template).toBe('ticker');
      expect(b.counts.total).toBe(2);
      const jobs = (await kiln.jobs.list({ batchId: b.id })).items;
      expect(jobs.map((j) => (j.params as { value: number }).value).sort()).toEqual([1, 2]);
    }
  });

  it('three scheduler processes on one store create exactly one batch per tick', async () => {
    const { store, open } = await setup();
    const kiln = await open();
    await kiln.templates.save({
      name: 'every-second',
      type: 'test',
      schedule: { cron: '* * * * * *' },
    });
    const processes: SpawnedProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const p = spawnScript(supportFile('services-process.ts'), [
        store.url,
        JSON.stringify({ webhooks: false }),
      ]);
      processes.push(p);
      cleanups.push(() => {
        p.child.kill('SIGKILL');
      });
    }
    await Promise.all(processes.map((p) => p.ready));
    await waitFor(async () => (await kiln.batches.list()).items.length >= 6, {
      what: 'six ticks',
      timeoutMs: 30_000,
    });
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));

    const batches = (await kiln.batches.list({ limit: 1000 })).items;
    const ticks = batches.map((b) => String(b.metadata!.scheduledFor));
    expect(new Set(ticks).size).toBe(batches.length);
    expect(new Set(batches.map((b) => b.name)).size).toBe(batches.length);
    // The processes logged one creation per batch: none believed it made a tick another made.
    const created = processes.flatMap((p) =>
      p.lines.filter((l) => l.includes('"schedule.batch_created"')),
    );
    expect(created).toHaveLength(batches.length);
  });

  it("missed ticks under 'run-once': one batch for the latest, earlier ones collapsed; a new schedule does not backfill", async () => {
    const { store, open } = await setup();
    const kiln = await open();
    const cron = dailyTwoHoursAgo();
    await kiln.templates.save({ name: 'daily', type: 'test', schedule: { cron } });
    // Saved after today's tick: nothing is due until tomorrow's.
    const none = await kiln.schedules.runDue();
    expect(none.created).toEqual([]);
    expect(none.nextAtMs).toBeGreaterThan(Date.now() + 20 * 3_600_000);

    // Three days without a scheduler: three ticks were missed.
    await setLastTick(store, 'daily', Date.now() - 3 * 86_400_000 - 60_000);
    const latest = latestTickAtOrBefore({ cron, timezone: 'UTC', missed: 'run-once' }, Date.now())!;
    const report = await kiln.schedules.runDue();
    expect(report.created).toHaveLength(1);
    expect(report.created[0]).toMatchObject({ template: 'daily', missed: true });
    expect(report.created[0]!.tickAt.getTime()).toBe(latest);
    const batches = (await kiln.batches.list()).items;
    expect(batches).toHaveLength(1);
    expect(batches[0]!.metadata).toEqual({ scheduledFor: new Date(latest).toISOString() });
    expect((await kiln.templates.get('daily'))!.lastTickAt!.getTime()).toBe(latest);
    expect((await kiln.schedules.runDue()).created).toEqual([]);
  });

  it("missed ticks under 'skip': no batch, and the schedule moves past them", async () => {
    const { store, open } = await setup();
    const kiln = await open();
    const cron = dailyTwoHoursAgo();
    await kiln.templates.save({ name: 'daily', type: 'test', schedule: { cron, missed: 'skip' } });
    await setLastTick(store, 'daily', Date.now() - 3 * 86_400_000 - 60_000);
    const latest = latestTickAtOrBefore({ cron, timezone: 'UTC', missed: 'skip' }, Date.now())!;
    const report = await kiln.schedules.runDue();
    expect(report.created).toEqual([]);
    expect(report.skipped).toEqual([{ template: 'daily', tickAt: new Date(latest) }]);
    expect((await kiln.batches.list()).items).toEqual([]);
    expect((await kiln.templates.get('daily'))!.lastTickAt!.getTime()).toBe(latest);
  });

  it('schedulers racing for one due tick take it once', async () => {
    const { store, open } = await setup();
    const [a, b] = [await open(), await open()];
    await a.templates.save({ name: 'daily', type: 'test', schedule: { cron: dailyTwoHoursAgo() } });
    for (let round = 0; round < 3; round++) {
      await setLastTick(store, 'daily', Date.now() - 3 * 86_400_000);
      const reports = await Promise.all([a, b, a, b].map((k) => k.schedules.runDue()));
      expect(reports.flatMap((r) => r.created)).toHaveLength(1);
      expect((await a.batches.list()).items).toHaveLength(round + 1);
    }
  });
});
