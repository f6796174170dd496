import { Cron } from 'croner';
import { KilnError } from '../core/errors.ts';
import type { TemplateSchedule } from '../core/model.ts';

const MISSED = ['run-once', 'skip'] as const;

/**
 * Checks a template's `schedule` option and fills its defaults: `{ cron, timezone?,
 * missed? }`. The cron is croner's syntax (five fields, or six with seconds first); the
 * time zone an IANA name, default 'UTC' so that processes on machines set to different
 * zones agree on every tick. Throws INVALID_SCHEDULE.
 */
export function checkSchedule(input: unknown): TemplateSchedule {
  const bad = (why: string) => new KilnError('INVALID_SCHEDULE', `schedule ${why}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('must be an object `{ cron, timezone?, missed? }`');
  }
  const extra = Object.keys(input).find((k) => !['cron', 'timezone', 'missed'].includes(k));
  if (extra !== undefined) throw bad(`has an unknown option \`${extra}\``);
  const { cron, timezone = 'UTC', missed = 'run-once' } = input as Record<string, unknown>;
  if (typeof cron !== 'string' || cron.trim() === '' || cron.length > 200) {
    throw bad('needs `cron`, a cron expression');
  }
  if (typeof timezone !== 'string' || !validTimeZone(timezone)) {
    throw bad(`time zone \`${String(timezone)}\` is not an IANA time zone (e.g. Europe/Paris)`);
  }
  if (!MISSED.includes(missed as (typeof MISSED)[number])) {
    throw bad(`\`missed\` must be 'run-once' or 'skip'`);
  }
  const schedule: TemplateSchedule = {
    cron: cron.trim(),
    timezone,
    missed: missed as TemplateSchedule['missed'],
  };
  let next: Date | null;
  try {
    next = cronOf(schedule).nextRun();
  } catch (error) {
    throw bad(`cron \`${schedule.cron}\` is not valid: ${(error as Error).message}`);
  }
  if (next === null) throw bad(`cron \`${schedule.cron}\` never fires`);
  return schedule;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The schedule as stored: JSON in a fixed key order, so equal schedules store equal text. */
export function scheduleText(s: TemplateSchedule): string {
  return JSON.stringify({ cron: s.cron, timezone: s.timezone, missed: s.missed });
}

const crons = new Map<string, Cron>();

/** A parsed cron for the schedule (never started: only its arithmetic is used). */
function cronOf(s: TemplateSchedule): Cron {
  const key = `${s.timezone} ${s.cron}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(s.cron, { timezone: s.timezone, paused: true });
    if (crons.size > 1_000) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

/** The first tick strictly after `afterMs`; null if the schedule never fires again. */
export function nextTickAfter(s: TemplateSchedule, afterMs: number): number | null {
  return cronOf(s).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** The latest tick at or before `atMs`; null if there is none. */
export function latestTickAtOrBefore(s: TemplateSchedule, atMs: number): number | null {
  // croner counts a run earlier in the reference's own second: 1 ms past `atMs` takes a
  // tick exactly at `atMs` too.
  return (
    cronOf(s)
      .previousRuns(1, new Date(atMs + 1))[0]
      ?.getTime() ?? null
  );
}
