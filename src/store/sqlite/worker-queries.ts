import type {
  ClaimedJob,
  ClaimRequest,
  ExpiredAttempt,
  Fence,
  ProgressFlush,
  Settle,
  TurnInput,
  TurnResult,
} from '../store.ts';
import type { SqliteConnection, Tx } from './connection.ts';

/**
 * The worker's statements. Every write names its attempt by (id, attempt, owner) and
 * requires the job still running under an unexpired lease: a worker that lost its
 * lease (cancelled, reclaimed after a stall) changes nothing. Stall reaps are the one
 * exception: they require the lease to have expired instead.
 */
const LIVE = `id = :id AND attempt = :attempt AND lease_owner = :owner AND state = 'running' AND lease_expires_at_ms >= :now`;
const EXPIRED = `id = :id AND attempt = :attempt AND lease_owner = :owner AND state = 'running' AND lease_expires_at_ms < :now`;

function settleSql(kind: Settle['kind'], fence: string): string {
  switch (kind) {
    case 'complete':
      return `UPDATE jobs SET state = 'completed', result = :result, progress = 1, finished_at_ms = :now,
        expires_at_ms = :now + retention_ms, lease_expires_at_ms = NULL, updated_seq = :seq WHERE ${fence}`;
    case 'reschedule':
      return `UPDATE jobs SET state = 'pending', error = :error, run_at_ms = :now + :delay,
        lease_expires_at_ms = NULL, updated_seq = :seq WHERE ${fence}`;
    case 'fail':
      return `UPDATE jobs SET state = 'failed', error = :error, finished_at_ms = :now,
        expires_at_ms = :now + retention_ms, lease_expires_at_ms = NULL, updated_seq = :seq WHERE ${fence}`;
    case 'release':
      // The attempt was interrupted by a shutdown, not failed: give the budget back.
      return `UPDATE jobs SET state = 'pending', run_at_ms = :now, max_attempts = max_attempts + 1,
        lease_expires_at_ms = NULL, updated_seq = :seq WHERE ${fence}`;
  }
}

function applySettle(c: SqliteConnection, tx: Tx, s: Settle, fence: string): boolean {
  const params: Record<string, string | number | null> = {
    id: s.fence.id,
    attempt: s.fence.attempt,
    owner: s.fence.owner,
    now: tx.nowMs,
    seq: tx.seq(),
  };
  if (s.kind === 'complete')
    params.result = s.result === undefined ? null : JSON.stringify(s.result);
  if (s.kind === 'reschedule' || s.kind === 'fail') params.error = JSON.stringify(s.error);
  if (s.kind === 'reschedule') params.delay = Math.max(0, Math.round(s.delayMs));
  return Number(c.stmt(settleSql(s.kind, fence)).run(params).changes) === 1;
}

const FLUSH = `UPDATE jobs SET
  progress = CASE WHEN :progress IS NOT NULL AND :progress >= progress THEN :progress ELSE progress END,
  progress_message = CASE WHEN :setMessage = 1 AND (:progress IS NULL OR :progress >= progress)
    THEN :message ELSE progress_message END,
  heartbeat_at_ms = :now,
  checkpoint = CASE WHEN :setCheckpoint = 1 THEN :checkpoint ELSE checkpoint END,
  usage_tokens = usage_tokens + :tokens,
  usage_cost_usd = usage_cost_usd + :cost,
  updated_seq = :seq
WHERE ${LIVE}`;

const INSERT_LOG =
  'INSERT INTO job_logs (job_id, attempt, at_ms, level, message, fields) VALUES (?, ?, ?, ?, ?, ?)';

function applyFlush(c: SqliteConnection, tx: Tx, f: ProgressFlush): boolean {
  const held =
    Number(
      c.stmt(FLUSH).run({
        id: f.fence.id,
        attempt: f.fence.attempt,
        owner: f.fence.owner,
        now: tx.nowMs,
        seq: tx.seq(),
        progress: f.progress ?? null,
        setMessage: f.message === undefined ? 0 : 1,
        message: f.message ?? null,
        setCheckpoint: f.checkpoint ? 1 : 0,
        checkpoint: f.checkpoint ? JSON.stringify(f.checkpoint.value ?? null) : null,
        tokens: f.usage?.tokens ?? 0,
        cost: f.usage?.costUsd ?? 0,
      }).changes,
    ) === 1;
  if (held && f.logs) {
    const insert = c.stmt(INSERT_LOG);
    for (const l of f.logs) {
      insert.run(
        f.fence.id,
        f.fence.attempt,
        l.atMs,
        l.level,
        l.message,
        l.fields ? JSON.stringify(l.fields) : null,
      );
    }
  }
  return held;
}

interface ClaimRow {
  id: string;
  type: string;
  name: string | null;
  params: string;
  batch_id: string | null;
  attempt: number;
  max_attempts: number;
  checkpoint: string | null;
}

// Walks jobs_pending in claim order (priority, then age) and stops at LIMIT. The paused
// check is a primary-key probe per candidate, only for jobs in a batch.
const CANDIDATES = `SELECT id, type FROM jobs
WHERE state = 'pending' AND run_at_ms <= ? AND type IN (SELECT value FROM json_each(?))
  AND (batch_id IS NULL OR NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = jobs.batch_id AND b.paused = 1))
ORDER BY priority DESC, run_at_ms, id LIMIT ?`;

const CLAIM = `UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?, lease_expires_at_ms = ?,
  started_at_ms = ?, heartbeat_at_ms = ?, progress = 0, progress_message = NULL, updated_seq = ?
WHERE id = ? AND state = 'pending'
RETURNING id, type, name, params, batch_id, attempt, max_attempts, checkpoint`;

function claim(c: SqliteConnection, tx: Tx, req: ClaimRequest): ClaimedJob[] {
  // Remaining room per capped type, counted over every worker (running rows are few).
  const room = new Map<string, number>();
  const capped = req.types.filter((t) => t.cap !== null);
  if (capped.length > 0) {
    const running = new Map(
      c
        .all<{ type: string; n: number }>(
          `SELECT type, count(*) AS n FROM jobs WHERE state = 'running' AND type IN (SELECT value FROM json_each(?)) GROUP BY type`,
          JSON.stringify(capped.map((t) => t.type)),
        )
        .map((r) => [r.type, r.n]),
    );
    for (const t of capped) room.set(t.type, t.cap! - (running.get(t.type) ?? 0));
  }
  const claimed: ClaimedJob[] = [];
  const update = c.stmt(CLAIM);
  // A second pass fills slots left by candidates of types that hit their cap.
  for (let pass = 0; pass < 2 && claimed.length < req.limit; pass++) {
    const types = req.types
      .filter((t) => t.cap === null || room.get(t.type)! > 0)
      .map((t) => t.type);
    if (types.length === 0) break;
    const want = req.limit - claimed.length;
    const candidates = c.all<{ id: string; type: string }>(
      CANDIDATES,
      tx.nowMs,
      JSON.stringify(types),
      want,
    );
    let skipped = false;
    for (const cand of candidates) {
      const left = room.get(cand.type);
      if (left !== undefined) {
        if (left <= 0) {
          skipped = true;
          continue;
        }
        room.set(cand.type, left - 1);
      }
      const row = update.get(
        req.owner,
        tx.nowMs + req.leaseMs,
        tx.nowMs,
        tx.nowMs,
        tx.seq(),
        cand.id,
      ) as ClaimRow | undefined;
      if (!row) continue;
      claimed.push({
        id: row.id,
        type: row.type,
        name: row.name,
        params: JSON.parse(row.params),
        batchId: row.batch_id,
        attempt: row.attempt,
        maxAttempts: row.max_attempts,
        checkpoint: row.checkpoint === null ? undefined : JSON.parse(row.checkpoint),
      });
    }
    if (!skipped || candidates.length < want) break;
  }
  return claimed;
}

export function turn(c: SqliteConnection, input: TurnInput): TurnResult {
  return c.write((tx) => {
    // Flushes first: the last progress of an attempt that ends in this turn lands before its settle.
    const lostFences: Fence[] = [];
    for (const f of input.flushes) if (!applyFlush(c, tx, f)) lostFences.push(f.fence);
    const settled = input.settles.map((s) => applySettle(c, tx, s, LIVE));
    const reaped = input.reaps.map((s) => applySettle(c, tx, s, EXPIRED));
    const claimed = input.claim && input.claim.limit > 0 ? claim(c, tx, input.claim) : [];
    return { settled, reaped, lostFences, claimed };
  });
}

export function renewLeases(c: SqliteConnection, owner: string, leaseMs: number): Fence[] {
  return c.write((tx) =>
    c
      .all<{ id: string; attempt: number }>(
        `UPDATE jobs SET lease_expires_at_ms = ? WHERE state = 'running' AND lease_owner = ? AND lease_expires_at_ms >= ?
         RETURNING id, attempt`,
        tx.nowMs + leaseMs,
        owner,
        tx.nowMs,
      )
      .map((r) => ({ id: r.id, attempt: r.attempt, owner })),
  );
}

export function heldLeases(c: SqliteConnection, owner: string): Fence[] {
  return c
    .all<{ id: string; attempt: number }>(
      `SELECT id, attempt FROM jobs WHERE state = 'running' AND lease_owner = ? AND lease_expires_at_ms >= ?`,
      owner,
      Date.now(),
    )
    .map((r) => ({ id: r.id, attempt: r.attempt, owner }));
}

export function expiredLeases(c: SqliteConnection, limit: number): ExpiredAttempt[] {
  return c
    .all<{ id: string; attempt: number; lease_owner: string; type: string; max_attempts: number }>(
      `SELECT id, attempt, lease_owner, type, max_attempts FROM jobs
       WHERE state = 'running' AND lease_expires_at_ms < ? LIMIT ?`,
      Date.now(),
      limit,
    )
    .map((r) => ({
      id: r.id,
      attempt: r.attempt,
      owner: r.lease_owner,
      type: r.type,
      maxAttempts: r.max_attempts,
    }));
}

export function nextRunAtMs(c: SqliteConnection): number | null {
  const row = c.get<{ at: number | null }>(
    `SELECT min(run_at_ms) AS at FROM jobs WHERE state = 'pending'`,
  );
  return row?.at ?? null;
}

/** True if the fence still holds; used inside the artifact transaction. */
export function fenceHolds(c: SqliteConnection, tx: Tx, fence: Fence): boolean {
  return (
    c.get(
      `SELECT 1 AS ok FROM jobs WHERE ${LIVE}`,
      // biome-ignore lint/suspicious/noExplicitAny: named parameters object
      { id: fence.id, attempt: fence.attempt, owner: fence.owner, now: tx.nowMs } as any,
    ) !== undefined
  );
}
