import { Counter, type Registry } from 'prom-client';
import type { Worker } from '../../worker/worker.ts';

/**
 * Counters of what the worker embedded in this process did, from its events
 * (src/worker/events.ts). Without an embedded worker they stay at 0: worker processes
 * of their own (`kiln worker`) are counted by the store-wide `kiln_jobs` gauge only.
 * Returns a function that stops listening.
 */
export function workerCounters(registry: Registry, worker: Worker | undefined): () => void {
  const registers = [registry];
  const claims = new Counter({
    name: 'kiln_claims_total',
    help: 'Attempts claimed and started by the worker in this process',
    labelNames: ['type'] as const,
    registers,
  });
  const completions = new Counter({
    name: 'kiln_completions_total',
    help: 'Attempts whose completion the worker in this process committed',
    labelNames: ['type'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'kiln_failures_total',
    help: 'Failed attempts of the worker in this process; retrying="true" when rescheduled',
    labelNames: ['type', 'retrying'] as const,
    registers,
  });
  const expiries = new Counter({
    name: 'kiln_lease_expiries_total',
    help: "Stalled attempts (expired leases of dead or hung workers) this process's reaper settled",
    labelNames: ['retrying'] as const,
    registers,
  });
  const progressWrites = new Counter({
    name: 'kiln_progress_writes_total',
    help: 'Progress flushes (fraction, message, heartbeat, usage, logs of one attempt) written',
    registers,
  });
  for (const retrying of ['true', 'false']) expiries.inc({ retrying }, 0);
  if (worker === undefined) return () => {};
  const off = [
    worker.events.on('job:start', ({ type }) => claims.inc({ type })),
    worker.events.on('job:complete', ({ type }) => completions.inc({ type })),
    worker.events.on('job:fail', ({ type, retrying }) =>
      failures.inc({ type, retrying: String(retrying) }),
    ),
    worker.events.on('job:stalled', ({ retrying }) => expiries.inc({ retrying: String(retrying) })),
    worker.events.on('progress:flush', ({ count }) => progressWrites.inc(count)),
  ];
  return () => {
    for (const stop of off) stop();
  };
}
