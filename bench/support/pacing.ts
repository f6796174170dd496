/**
 * W3's producer: one add every 5 ms for a second of warm-up and then `seconds`, each
 * stamped with the monotonic clock (clock.ts), so latency = handler start - stamp.
 * Shared by Kiln's W3 (workloads.ts) and the peers' (peers.ts), so both are paced alike.
 */
import { nowMs } from './clock.ts';

const INTERVAL_MS = 5;
const WARMUP_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PacedAdds {
  total: number;
  /** Jobs stamped from here on are measured; earlier ones are the warm-up. */
  measureFrom: number;
  /** Adds that started more than one interval after they were due. */
  late: number;
  /** How long each add call took. */
  addMs: number[];
  producedMs: number;
}

export async function pacedAdds(
  seconds: number,
  add: (stamp: number) => Promise<unknown>,
): Promise<PacedAdds> {
  const total = Math.round((WARMUP_MS + seconds * 1000) / INTERVAL_MS);
  const begin = performance.now();
  const measureFrom = nowMs() + WARMUP_MS;
  let late = 0;
  const addMs: number[] = [];
  for (let i = 0; i < total; i++) {
    const due = begin + i * INTERVAL_MS;
    const wait = due - performance.now();
    // Timers have 1 ms granularity: the gaps jitter around 5 ms, the rate holds.
    if (wait > 0) await sleep(Math.ceil(wait));
    if (performance.now() - due > INTERVAL_MS) late++;
    const t = nowMs();
    await add(t);
    addMs.push(nowMs() - t);
  }
  return { total, measureFrom, late, addMs, producedMs: performance.now() - begin };
}
