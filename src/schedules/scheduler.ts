import type { SchedulesApi } from './api.ts';

type Log = (
  level: 'debug' | 'info' | 'warn' | 'error',
  event: string,
  fields?: Record<string, unknown>,
) => void;

export interface SchedulerOptions {
  /** Ticks older than this were missed (schedules/plan.ts). Default 60 s. */
  graceMs?: number;
  /** Longest sleep: templates changed by other processes are seen within it. Default 5 s. */
  rereadMs?: number;
}

/**
 * The scheduler loop of a `kiln serve` or `kiln worker` process: takes the due ticks,
 * then sleeps until the next tick of any scheduled template, at most `rereadMs` (other
 * processes' template changes are seen then; this process's own wake it at once). Cheap
 * when idle: one read of the templates per wake.
 */
export class Scheduler {
  private stopped = false;
  private wake: (() => void) | undefined;
  /** A template changed while a pass ran: the next sleep is skipped. */
  private poked = false;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly graceMs: number;
  private readonly rereadMs: number;

  private readonly schedules: SchedulesApi;
  private readonly nowMs: () => number;
  private readonly log: Log;

  constructor(
    schedules: SchedulesApi,
    nowMs: () => number,
    log: Log,
    options: SchedulerOptions = {},
  ) {
    this.schedules = schedules;
    this.nowMs = nowMs;
    this.log = log;
    this.graceMs = options.graceMs ?? 60_000;
    this.rereadMs = options.rereadMs ?? 5_000;
  }

  start(): this {
    this.unsubscribe = this.schedules.onChange(() => {
      this.poked = true;
      this.wake?.();
    });
    this.loop = this.run();
    return this;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let nextAtMs: number | null = null;
      try {
        const report = await this.schedules.runDue({ graceMs: this.graceMs });
        for (const c of report.created) {
          this.log('info', 'schedule.batch_created', {
            template: c.template,
            tickAt: c.tickAt.toISOString(),
            batchId: c.batchId,
            missed: c.missed,
          });
        }
        for (const s of report.skipped) {
          this.log('info', 'schedule.tick_skipped', {
            template: s.template,
            tickAt: s.tickAt.toISOString(),
            reason: 'missed',
          });
        }
        for (const f of report.failed) {
          this.log('warn', 'schedule.tick_failed', {
            template: f.template,
            error: f.error.message,
            code: (f.error as { code?: string }).code,
          });
        }
        nextAtMs = report.nextAtMs;
      } catch (error) {
        // The store may be away (a database restart): look again after the usual sleep.
        this.log('warn', 'schedule.pass_failed', {
          error: String((error as Error).message ?? error),
        });
      }
      if (this.stopped) break;
      const untilNext = nextAtMs === null ? this.rereadMs : nextAtMs - this.nowMs();
      await this.sleep(Math.max(0, Math.min(this.rereadMs, untilNext)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (this.poked) done();
    }).then(() => {
      this.poked = false;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }
}
