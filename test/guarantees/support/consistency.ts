import type { Job } from '../../../src/index.ts';

export interface Expected {
  value: string;
  steps: number;
}

const ORDER = { pending: 0, running: 1, completed: 2 } as Record<string, number>;

/**
 * Checks one read of the job the torn-read test hammers: a 'progress' job whose params
 * carry a large `value`, echoed in its result. Returns what is wrong, or null. `before`
 * is the same reader's previous read: states and progress only move forward.
 */
export function checkRead(job: Job | null, expected: Expected, before: Job | null): string | null {
  if (!job) return 'job missing';
  const params = job.params as { value?: unknown; steps?: unknown };
  if (params.value !== expected.value)
    return `params.value differs (length ${String((params.value as string)?.length)})`;
  if (params.steps !== expected.steps) return `params.steps ${String(params.steps)}`;
  const i = Math.round(job.progress * expected.steps);
  if (i / expected.steps !== job.progress) return `progress ${job.progress} is not a step`;
  switch (job.state) {
    case 'pending':
      if (job.progress !== 0 || job.result !== null || job.attempt !== 0)
        return `pending with progress ${job.progress}, attempt ${job.attempt}`;
      break;
    case 'running':
      if (job.attempt !== 1) return `running attempt ${job.attempt}`;
      if (job.result !== null) return 'running with a result';
      if (job.startedAt === null || job.leaseOwner === null)
        return 'running without start or lease';
      if (
        job.progressMessage === null
          ? i !== 0
          : job.progressMessage !== `step ${i}/${expected.steps}`
      )
        return `message ${job.progressMessage} with progress ${job.progress}`;
      break;
    case 'completed': {
      const result = job.result as { value?: unknown; attempt?: unknown } | null;
      if (result === null) return 'completed without result';
      if (result.value !== expected.value) return 'result.value differs';
      if (result.attempt !== 1) return `result.attempt ${String(result.attempt)}`;
      if (job.progress !== 1) return `completed at progress ${job.progress}`;
      if (job.progressMessage !== `step ${expected.steps}/${expected.steps}`)
        return `completed with message ${job.progressMessage}`;
      if (job.finishedAt === null) return 'completed without finishedAt';
      break;
    }
    default:
      return `unexpected state ${job.state}`;
  }
  if (before) {
    if (ORDER[job.state]! < ORDER[before.state]!)
      return `state went from ${before.state} to ${job.state}`;
    if (job.state === before.state && job.progress < before.progress)
      return `progress fell from ${before.progress} to ${job.progress}`;
    if (job.seq < before.seq) return `seq fell from ${before.seq} to ${job.seq}`;
  }
  return null;
}

/** A large value whose every part differs, so a cut or a mix of two versions shows. */
export function bigValue(chars: number): string {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `${i.toString(36)}|`;
  return s.slice(0, chars);
}
