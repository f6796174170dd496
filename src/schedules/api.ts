import { templateJobs } from '../api/batches.ts';
import type { JobTypes } from '../api/job-types.ts';
import { KilnError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Template } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { tickBatchName } from './batch-name.ts';
import { planTick } from './plan.ts';
import { nextTickAfter, scheduleText } from './schedule.ts';

/** Ticks due older than this were missed (no scheduler ran): the `missed` policy decides. */
export const DEFAULT_GRACE_MS = 60_000;

export interface DueReport {
  /** Batches created, one per tick taken. */
  created: { template: string; tickAt: Date; batchId: string; missed: boolean }[];
  /** Missed ticks moved past without a batch (policy 'skip'). */
  skipped: { template: string; tickAt: Date }[];
  /** Templates whose tick could not be made here (e.g. a job type this process lacks). */
  failed: { template: string; error: KilnError | Error }[];
  /** The next tick of any scheduled template (store clock, ms); null when none. */
  nextAtMs: number | null;
}

/** `kiln.schedules`: templates' cron ticks into batches, exactly once per tick. */
export function schedulesApi(store: Store, types: JobTypes) {
  const listeners = new Set<() => void>();

  /** One template's due tick, if any; returns the tick taken (or attempted). */
  const runTemplate = async (
    t: Template,
    nowMs: number,
    graceMs: number,
    report: DueReport,
  ): Promise<number | null> => {
    const schedule = t.schedule!;
    // A scheduled template always has a last tick (set when it was saved); the guard is for
    // rows written by hand.
    const plan = planTick(schedule, t.lastTickAt?.getTime() ?? nowMs, nowMs, graceMs);
    if (plan.kind === 'wait') return null;
    const tick = { template: t.name, schedule: scheduleText(schedule), atMs: plan.tickMs };
    if (plan.kind === 'skip') {
      if (await store.claimTemplateTick(tick, [])) {
        report.skipped.push({ template: t.name, tickAt: new Date(plan.tickMs) });
      }
      return plan.tickMs;
    }
    const batchId = newId();
    let rows: Awaited<ReturnType<JobTypes['newJobs']>>;
    try {
      rows = await types.newJobs(templateJobs(t, undefined, undefined, {}), batchId, nowMs);
    } catch (error) {
      report.failed.push({ template: t.name, error: error as Error });
      // A process without the job type leaves the tick to one that has it. Params the
      // type refuses will not pass at the next try either: the tick is moved past.
      if (error instanceof KilnError && error.code === 'UNKNOWN_JOB_TYPE') return null;
      await store.claimTemplateTick(tick, []);
      return plan.tickMs;
    }
    const taken = await store.claimTemplateTick(tick, rows, {
      id: batchId,
      name: tickBatchName(t.name, plan.tickMs, schedule.timezone),
      template: t.name,
      metadata: { scheduledFor: new Date(plan.tickMs).toISOString() },
      webhookUrl: t.webhook?.url ?? null,
    });
    if (taken) {
      report.created.push({
        template: t.name,
        tickAt: new Date(plan.tickMs),
        batchId,
        missed: plan.missed,
      });
    }
    return plan.tickMs;
  };

  return {
    /**
     * Takes every scheduled template's due tick now: creates its batch (or, for missed
     * ticks under 'skip', moves past it). Safe in any number of processes at once: each
     * tick is taken by one (Store.claimTemplateTick). The scheduler loop calls it.
     */
    runDue: async (options: { graceMs?: number } = {}): Promise<DueReport> => {
      const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
      const report: DueReport = { created: [], skipped: [], failed: [], nextAtMs: null };
      const nowMs = store.nowMs();
      for (const t of await store.listTemplates()) {
        if (!t.schedule) continue;
        const taken = await runTemplate(t, nowMs, graceMs, report);
        // A due tick this process could not take (another may) is looked at again at the next.
        const after = Math.max(taken ?? 0, t.lastTickAt?.getTime() ?? nowMs);
        let next = nextTickAfter(t.schedule, after);
        if (next !== null && next <= nowMs) next = nextTickAfter(t.schedule, nowMs);
        if (next !== null && (report.nextAtMs === null || next < report.nextAtMs)) {
          report.nextAtMs = next;
        }
      }
      return report;
    },
    /** Listens for template changes made through this instance (the scheduler looks again). */
    onChange: (listener: () => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Tells this instance's listeners that a template changed. */
    changed: (): void => {
      for (const l of listeners) l();
    },
  };
}

export type SchedulesApi = ReturnType<typeof schedulesApi>;
