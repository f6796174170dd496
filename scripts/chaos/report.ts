/** The summary as a table for people (and the same data as JSON for programs). */
import type { Summary } from './harness.ts';

const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);

export function formatSummary(s: Summary): string {
  const rows: [string, string][] = [
    [
      'store',
      `${s.store} (seed ${s.seed}, ${s.seconds} s of chaos, plan ${s.planFingerprint}, commit ${s.commit})`,
    ],
    [
      'jobs',
      `${s.jobs.total} (batch ${s.jobs.batch}, single enqueues acknowledged ${s.jobs.enqueued}); ${s.jobs.completed} completed, ${s.jobs.failed} failed`,
    ],
    [
      'kills',
      `${s.kills.workers} workers, ${s.kills.server} server; ${s.kills.backendsTerminated} backends terminated`,
    ],
    ['lost enqueues', String(s.figures.lostEnqueues)],
    ['double completions', String(s.figures.doubleCompletions)],
    ['backward progress seen', String(s.figures.backwardProgress)],
    ['changes after terminal', String(s.figures.changesAfterTerminal)],
    ['torn reads', `${s.figures.tornReads} of ${s.figures.sightings} sightings`],
    ['killed jobs', String(s.recovery.killedJobs)],
    [
      'due again after kill',
      `max ${ms(s.recovery.requeue.maxMs)}, p99 ${ms(s.recovery.requeue.p99Ms)}, p50 ${ms(s.recovery.requeue.p50Ms)} (bound: lease ${s.figures.leaseMs} ms + poll = ${s.figures.recoveryBoundMs} ms)`,
    ],
    [
      'running again after kill',
      `max ${ms(s.recovery.running.maxMs)}, p99 ${ms(s.recovery.running.p99Ms)}, p50 ${ms(s.recovery.running.p50Ms)} (includes the wait for a free slot)`,
    ],
    [
      'observers',
      s.observers
        .map(
          (o, i) => `#${i + 1}: ${o.events} events, ${o.reconnects} reconnects, ${o.reads} reads`,
        )
        .join('; '),
    ],
    [
      'time',
      `setup ${s.timings.setupMs} ms, chaos ${s.timings.chaosMs} ms, settle ${s.timings.settleMs} ms, total ${s.timings.totalMs} ms`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length), ...s.checks.map((c) => c.name.length)) + 2;
  const lines = [
    '',
    'Chaos run',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`),
    '',
    'Checks',
  ];
  for (const c of s.checks) {
    lines.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(width)}${c.value}`);
    for (const d of c.detail) lines.push(`          ${d}`);
  }
  lines.push('', s.ok ? 'All checks passed.' : 'SOME CHECKS FAILED.', '');
  return lines.join('\n');
}
