/**
 * One fuzz run: a target (a store and a `kiln serve` on it), the HTTP phase, the CLI
 * phase, the final checks, the summary. Cases run one at a time, each between two
 * digests of the store, so whatever changed is the case's doing. The cases come from
 * fast-check arbitraries sampled with the run's seed: the same seed sends the same
 * cases. (They are not shrunk: the server's state moves on with every case, so a
 * smaller case replayed later would meet another server; a finding prints the case
 * as sent instead, and the seed replays the run.)
 */
import fc from 'fast-check';
import { commitOf } from '../shared/commit.ts';
import { checkAnswer, checkCli } from './check.ts';
import { cliCaseArbitrary } from './cli-cases.ts';
import { caseFolder, fill, runCli } from './cli-run.ts';
import { type Digest, digestStore } from './digest.ts';
import { caseArbitrary } from './http-cases.ts';
import { Pools, send } from './http-send.ts';
import type { FuzzOptions } from './options.ts';
import { startTarget, type Target } from './target.ts';

export interface Finding {
  phase: 'http' | 'cli' | 'end';
  /** The case's index in its phase (the same seed draws it again). */
  index: number;
  sent: string;
  problems: string[];
}

export interface FuzzSummary {
  ok: boolean;
  store: string;
  seed: number;
  commit: string;
  durationMs: number;
  http: {
    cases: number;
    /** Of them, raw-socket cases. */
    raw: number;
    byStatus: Record<string, number>;
    /** Error codes of the refusals, by count. */
    codes: Record<string, number>;
    fiveXx: number;
    /** Well-framed requests that got no answer. */
    noAnswer: number;
    refusedWithChange: number;
  };
  cli: {
    cases: number;
    exitCodes: Record<string, number>;
    crashes: number;
    failedWithChange: number;
  };
  /** The first findings, each with the case as sent. */
  findings: Finding[];
  findingCount: number;
}

const KEEP_FINDINGS = 25;

/** What an interrupted run (Ctrl-C) must still remove: run.ts calls these. */
export const onInterrupt = new Set<() => Promise<void>>();

const count = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

export async function runFuzz(o: FuzzOptions, say: (line: string) => void): Promise<FuzzSummary> {
  const t0 = Date.now();
  const target = await startTarget(o.store);
  const close = () => target.close(o.keep);
  onInterrupt.add(close);
  const summary: FuzzSummary = {
    ok: false,
    store: o.store,
    seed: o.seed,
    commit: commitOf(['scripts/fuzz', 'src']),
    durationMs: 0,
    http: {
      cases: 0,
      raw: 0,
      byStatus: {},
      codes: {},
      fiveXx: 0,
      noAnswer: 0,
      refusedWithChange: 0,
    },
    cli: { cases: 0, exitCodes: {}, crashes: 0, failedWithChange: 0 },
    findings: [],
    findingCount: 0,
  };
  const found = (f: Finding) => {
    summary.findingCount++;
    if (summary.findings.length < KEEP_FINDINGS) summary.findings.push(f);
    say(`finding (${f.phase} #${f.index}, ${f.sent}): ${f.problems.join('; ')}`);
  };
  try {
    say(`store ${o.store}, server ${target.url} (pid ${target.server.pid}), seed ${o.seed}`);
    const pools = new Pools();
    await seedPools(target, pools);
    let before = await digestStore(target.store);
    before = await httpPhase(o, target, pools, before, summary, found, say);
    await cliPhase(o, target, pools, before, summary, found, say);
    const problems = await finalChecks(target);
    if (problems.length > 0) found({ phase: 'end', index: 0, sent: 'after the run', problems });
  } finally {
    onInterrupt.delete(close);
    await close();
  }
  summary.durationMs = Date.now() - t0;
  summary.ok = summary.findingCount === 0 && summary.http.cases + summary.cli.cases > 0;
  return summary;
}

/** A batch and a job to aim at from the first case on (later ones come from answers). */
async function seedPools(t: Target, pools: Pools): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`seeding ${path}: ${res.status} ${await res.text()}`);
    pools.learn(await res.json());
  };
  await post('/api/batches', { template: 'curriculum-grid' });
  await post('/api/jobs', { type: 'curriculum', params: { subject: 'math', grade: 3 } });
  const templates = await fetch(`${t.url}/api/templates`, {
    headers: { authorization: `Bearer ${t.token}` },
  });
  pools.learn(await templates.json());
}

function deadlineOf(seconds: number): number {
  return seconds > 0 ? Date.now() + seconds * 1000 : Number.POSITIVE_INFINITY;
}

async function httpPhase(
  o: FuzzOptions,
  t: Target,
  pools: Pools,
  start: Digest,
  s: FuzzSummary,
  found: (f: Finding) => void,
  say: (line: string) => void,
): Promise<Digest> {
  const deadline = deadlineOf(o.seconds);
  const cases = o.runs > 0 ? fc.sample(caseArbitrary, { seed: o.seed, numRuns: o.runs }) : [];
  let before = start;
  for (const [index, c] of cases.entries()) {
    if (Date.now() > deadline) break;
    const answer = await send(c, t.url, t.token, pools);
    const after = await digestStore(t.store);
    const problems = checkAnswer(answer, c, t.token, before, after);
    s.http.cases++;
    if (c.kind === 'raw') s.http.raw++;
    const status = answer.status;
    count(s.http.byStatus, status === null ? 'none' : `${Math.floor(status / 100)}xx`);
    if (status !== null && status >= 500) s.http.fiveXx++;
    if (problems.some((p) => p.startsWith('no answer'))) s.http.noAnswer++;
    if (problems.some((p) => p.startsWith('refused ('))) s.http.refusedWithChange++;
    if (status !== null && status < 300 && answer.contentType.startsWith('application/json'))
      try {
        pools.learn(JSON.parse(answer.body.toString()));
      } catch {
        // A body cut short by the size kept: nothing to learn from it.
      }
    else if (status !== null && status >= 400) {
      const code = codeOf(answer.body);
      if (code) count(s.http.codes, code);
    }
    if (!t.server.alive())
      problems.push(`the server died: ${t.server.tail().slice(-5).join(' | ')}`);
    if (problems.length > 0) found({ phase: 'http', index, sent: answer.sent, problems });
    if (!t.server.alive()) break;
    before = after;
    if ((index + 1) % 500 === 0) say(`http: ${index + 1} of ${cases.length} cases`);
  }
  return before;
}

function codeOf(body: Buffer): string | undefined {
  try {
    const code = (JSON.parse(body.toString()) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

async function cliPhase(
  o: FuzzOptions,
  t: Target,
  pools: Pools,
  start: Digest,
  s: FuzzSummary,
  found: (f: Finding) => void,
  say: (line: string) => void,
): Promise<void> {
  if (!t.server.alive()) return;
  const deadline = deadlineOf(o.seconds);
  const cases =
    o.cliRuns > 0 ? fc.sample(cliCaseArbitrary, { seed: o.seed, numRuns: o.cliRuns }) : [];
  let before = start;
  for (const [index, c] of cases.entries()) {
    if (Date.now() > deadline) break;
    const filled = fill(c, t.url, t.token, pools, index);
    const run = await runCli(filled, caseFolder(t.dir));
    const after = await digestStore(t.store);
    const problems = checkCli(run, before, after);
    s.cli.cases++;
    count(s.cli.exitCodes, run.signal ?? String(run.code));
    if (problems.some((p) => !p.startsWith('failed'))) s.cli.crashes++;
    if (problems.some((p) => p.startsWith('failed'))) s.cli.failedWithChange++;
    if (problems.length > 0)
      found({
        phase: 'cli',
        index,
        sent: `kiln ${filled.args.map((a) => JSON.stringify(a)).join(' ')} ${JSON.stringify(filled.env)}`,
        problems: [...problems, `stderr: ${run.stderr.slice(0, 500)}`],
      });
    before = after;
    if ((index + 1) % 50 === 0) say(`cli: ${index + 1} of ${cases.length} cases`);
  }
}

/** The server is still up and well, and its log never held the token. */
async function finalChecks(t: Target): Promise<string[]> {
  const problems: string[] = [];
  if (!t.server.alive()) return ['the server is not running'];
  const health = await fetch(`${t.url}/healthz`).catch((e: Error) => e);
  if (health instanceof Error || !health.ok)
    problems.push(`/healthz: ${health instanceof Error ? health.message : health.status}`);
  if (t.serverLog.join('').includes(t.token)) problems.push("the server's log holds the token");
  return problems;
}
