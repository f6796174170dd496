/**
 * Guarantee 8 at the handler's edge: a value the store cannot hold (a result or
 * heartbeat details JSON cannot hold, log fields with a cycle, text with a NUL, which
 * PostgreSQL cannot hold) fails only the call or the attempt that handed it over. The
 * worker writes many attempts' reports and completions in one statement; before, such a
 * value failed that statement on every retry, and the worker claimed and completed
 * nothing more (any job, on both stores).
 */
import { describe, expect, test } from 'vitest';
import type { Job } from '../../src/index.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln, waitForJob } from '../support/library.ts';
import { unstorableIsolatedJob, unstorableJob } from '../support/library-jobs.ts';
import { testJob, testJobs } from '../support/test-jobs.ts';

const openKiln = useKiln();
const WHATS = ['result-bigint', 'result-cycle', 'log-fields', 'heartbeat', 'nul-text'] as const;

describe.each([
  ['inline', unstorableJob],
  ['process', unstorableIsolatedJob],
] as const)('values a handler (isolation %s) hands over that the store cannot hold', (_, job) => {
  test('fail only their own call or attempt, and the worker goes on', async () => {
    const { kiln, work } = await openKiln({
      jobs: [...testJobs, unstorableJob, unstorableIsolatedJob],
    });
    const worker = work();
    const errors: unknown[] = [];
    worker.events.on('error', ({ error }) => errors.push(error));
    const ids = new Map<string, string>();
    for (const what of WHATS) ids.set(what, (await kiln.enqueue(job, { what })).id);
    const settled = async (what: string): Promise<Job> =>
      waitFor(
        async () => {
          const j = await kiln.jobs.get(ids.get(what)!);
          return j && (j.state === 'completed' || j.state === 'failed') ? j : undefined;
        },
        { what: `${what} to settle` },
      );

    for (const what of ['result-bigint', 'result-cycle']) {
      const j = await settled(what);
      expect(j.state, what).toBe('failed');
      expect(j.error?.code, what).toBe('INVALID_RESULT');
      expect(j.error?.message, what).toMatch(/^the result must be a value JSON can hold: /);
    }
    const logged = await settled('log-fields');
    expect(logged.state).toBe('completed');
    const [line] = await kiln.jobs.logs(logged.id);
    expect(line?.message).toBe('cyclic fields');
    expect(line?.fields).toEqual({ unserializable: expect.stringMatching(/circular/i) });

    const beat = await settled('heartbeat');
    expect(beat).toMatchObject({ state: 'completed', result: { refused: 'INVALID_ARGUMENT' } });

    const nul = await settled('nul-text');
    expect(nul).toMatchObject({
      state: 'completed',
      progressMessage: 'half\uFFFDway',
      // JSON escapes a NUL, so results and fields keep it.
      result: { s: 'result \u0000' },
    });
    const [nulLine] = await kiln.jobs.logs(nul.id);
    expect(nulLine).toMatchObject({ message: 'a NUL: \uFFFD', fields: { s: '\u0000' } });

    // The worker still claims and completes other jobs, and no turn of it failed.
    const after = await kiln.enqueue(testJob, { value: 'after' });
    await waitForJob(kiln, after.id, 'completed');
    expect(errors).toEqual([]);
  });
});
