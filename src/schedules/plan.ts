import type { TemplateSchedule } from '../core/model.ts';
import { latestTickAtOrBefore, nextTickAfter } from './schedule.ts';

/** What a scheduler does about one template now. */
export type TickPlan =
  /** Nothing due; the next tick is at `atMs` (null: never again). */
  | { kind: 'wait'; atMs: number | null }
  /** Create the batch of tick `tickMs`; `missed` when it is older than the grace period. */
  | { kind: 'create'; tickMs: number; missed: boolean }
  /** Move past tick `tickMs` without a batch (missed ticks, policy 'skip'). */
  | { kind: 'skip'; tickMs: number; missed: true };

/**
 * The missed-ticks policy, in one place. The ticks due are those after the last one
 * taken, up to now. Only the latest of them can make a batch (earlier ones are collapsed
 * into it). It is on time if it is at most `graceMs` old; older, it was missed (no
 * scheduler ran then): 'run-once' creates its batch anyway, 'skip' moves past it.
 */
export function planTick(
  schedule: TemplateSchedule,
  lastTickMs: number,
  nowMs: number,
  graceMs: number,
): TickPlan {
  const next = nextTickAfter(schedule, lastTickMs);
  if (next === null || next > nowMs) return { kind: 'wait', atMs: next };
  const latest = latestTickAtOrBefore(schedule, nowMs) ?? next;
  const missed = nowMs - latest > graceMs;
  if (missed && schedule.missed === 'skip') return { kind: 'skip', tickMs: latest, missed };
  return { kind: 'create', tickMs: latest, missed };
}
