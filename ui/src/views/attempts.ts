/** A job's attempts: the API's list, or, while that route is absent (404), derived from the job and its log lines. */
import { ApiError, api } from '../api/index.ts';
import type { AttemptBody, JobBody, LogEntryBody } from '../api/types.ts';

export function deriveAttempts(job: JobBody, logs: readonly LogEntryBody[]): AttemptBody[] {
  const byAttempt = new Map<number, LogEntryBody[]>();
  for (const l of logs) {
    const list = byAttempt.get(l.attempt) ?? [];
    list.push(l);
    byAttempt.set(l.attempt, list);
  }
  const out: AttemptBody[] = [];
  for (let n = 1; n <= job.attempt; n++) {
    const lines = byAttempt.get(n) ?? [];
    const current = n === job.attempt;
    const state: AttemptBody['state'] = !current
      ? 'retried'
      : job.state === 'running'
        ? 'running'
        : job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled'
          ? job.state
          : 'released';
    out.push({
      attempt: n,
      state,
      startedAt: current ? job.startedAt : (lines[0]?.at ?? null),
      finishedAt: current ? job.finishedAt : (lines.at(-1)?.at ?? null),
      leaseOwner: current ? job.leaseOwner : null,
      error: current ? job.error : null,
    });
  }
  return out;
}

export async function loadAttempts(
  job: JobBody,
  logs: readonly LogEntryBody[],
): Promise<AttemptBody[]> {
  try {
    return (await api.attempts(job.id)).items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code === 'NOT_FOUND') {
      return deriveAttempts(job, logs);
    }
    throw error;
  }
}
