/** The printed summary of a fuzz run. */
import type { FuzzSummary } from './harness.ts';

const list = (m: Record<string, number>) =>
  Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function formatSummary(s: FuzzSummary): string {
  const secs = (s.durationMs / 1000).toFixed(1);
  const lines = [
    `fuzz ${s.ok ? 'PASSED' : 'FAILED'}: store ${s.store}, seed ${s.seed}, commit ${s.commit}, ${secs} s`,
    `  http: ${s.http.cases} cases (${s.http.raw} raw), answers ${list(s.http.byStatus)}`,
    `        5xx ${s.http.fiveXx}, unanswered ${s.http.noAnswer}, refused yet changed ${s.http.refusedWithChange}`,
    `        refusals by code: ${list(s.http.codes)}`,
    `  cli:  ${s.cli.cases} cases, exits ${list(s.cli.exitCodes)}`,
    `        crashes ${s.cli.crashes}, failed yet changed ${s.cli.failedWithChange}`,
    `  findings: ${s.findingCount}`,
    ...s.findings.map(
      (f) => `    ${f.phase} #${f.index} ${f.sent}\n      ${f.problems.join('\n      ')}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
