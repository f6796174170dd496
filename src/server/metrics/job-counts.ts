import { Gauge, type Registry } from 'prom-client';
import { JOB_STATES } from '../../core/lifecycle.ts';
import type { Kiln } from '../../kiln.ts';
import { cached } from './cached.ts';

/**
 * `kiln_jobs{state,type}`: the store's jobs by state and type, read when scraped (one
 * grouped count over the jobs table, cached for `ttlMs`). Every state of every type
 * seen (or defined in this process) is exported, zeros included, so a series does not
 * vanish when its last job leaves a state, and `rate()`/alerts see a 0 instead of a gap.
 */
export function jobCountsGauge(registry: Registry, kiln: Kiln, ttlMs: number): void {
  const counts = cached(() => kiln.store.countJobs(), ttlMs);
  new Gauge({
    name: 'kiln_jobs',
    help: 'Jobs in the store by state and type (whole store, every process; cached a few seconds)',
    labelNames: ['state', 'type'] as const,
    registers: [registry],
    async collect() {
      const rows = await counts();
      const types = new Set(kiln.jobTypes.map((d) => d.type));
      for (const r of rows) types.add(r.type);
      this.reset();
      for (const type of types) {
        for (const state of JOB_STATES) this.set({ state, type }, 0);
      }
      for (const r of rows) this.set({ state: r.state, type: r.type }, r.count);
    },
  });
}
