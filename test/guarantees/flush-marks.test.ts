/**
 * The store contract for flush marks (ProgressFlush.mark), on both stores and on both
 * of a turn's paths (one statement; a transaction, taken when a turn holds a failure):
 * a flush sent again, as after a turn whose answer was lost, adds its usage and log
 * lines once; a flush with a lower mark than the job's changes no report; a heartbeat
 * still counts, and neither is a lost lease.
 */
import { describe, expect, test } from 'vitest';
import type { ClaimedJob, Fence, ProgressFlush, Settle } from '../../src/store/store.ts';
import { flushMark } from '../../src/worker/progress-buffer.ts';
import { useKiln } from '../support/library.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';
import { turnInput } from './support/turn-input.ts';

const openKiln = useKiln();
const owner = 'owner-marks';
const claim = { owner, limit: 2, leaseMs: 60_000, types: [{ type: 'test', cap: null }] };
const fenceOf = (j: ClaimedJob): Fence => ({ id: j.id, attempt: j.attempt, owner, row: j.row });
const flush = (fence: Fence, n: number, message: string): ProgressFlush => ({
  fence,
  mark: flushMark(fence.attempt, n),
  progress: n / 10,
  message,
  usage: { tokens: 5, costUsd: 0.5 },
  logs: [{ atMs: n, level: 'info', message, fieldsJson: null }],
});

describe.each([
  ['one statement', false],
  ['a transaction', true],
] as const)('flush marks, the turn as %s', (_, withFailure) => {
  test('a flush sent again adds nothing twice; an older one changes no report', async () => {
    const { kiln } = await openKiln({ jobs: testJobs });
    const s = kiln.store;
    const job = await kiln.enqueue(testJob, {});
    const other = await kiln.enqueue(testJob, {});
    const claimed = (await s.turn(turnInput({ claim }))).claimed;
    const [a, b] = [job, other].map((j) => fenceOf(claimed.find((c) => c.id === j.id)!)) as [
      Fence,
      Fence,
    ];
    // A failure of the other job sends every turn down the transaction path (after the
    // first, the failure itself is refused by its fence, but the path is the same).
    const settles: Settle[] = withFailure
      ? [{ kind: 'fail', fence: b, error: { message: 'for the path' } }]
      : [];
    const first = flush(a, 2, 'second report');
    for (let i = 0; i < 2; i++) {
      const r = await s.turn(turnInput({ flushes: [first], settles }));
      expect(r.lostFences).toEqual([]);
    }
    // A flush below the job's mark (a late one) changes no report, nor usage, nor logs.
    const late = await s.turn(turnInput({ flushes: [flush(a, 1, 'first report')], settles }));
    expect(late.lostFences).toEqual([]);
    const read = (await kiln.jobs.get(job.id))!;
    expect(read).toMatchObject({ progress: 0.2, progressMessage: 'second report' });
    expect(read.usage).toMatchObject({ tokens: 5, costUsd: 0.5 });
    expect((await kiln.jobs.logs(job.id)).map((l) => l.message)).toEqual(['second report']);
    // The next flush applies as usual.
    await s.turn(turnInput({ flushes: [flush(a, 3, 'third report')], settles }));
    const next = (await kiln.jobs.get(job.id))!;
    expect(next).toMatchObject({ progress: 0.3, progressMessage: 'third report' });
    expect(next.usage.tokens).toBe(10);
    expect((await kiln.jobs.logs(job.id)).map((l) => l.message)).toEqual([
      'second report',
      'third report',
    ]);
  });
});
