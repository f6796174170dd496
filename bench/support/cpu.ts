/**
 * How much CPU the rest of the machine used while a workload ran: the whole machine's
 * busy time (/proc/stat) minus what the bench's own processes used. On a 2-core machine
 * a busy neighbour changes every figure, so each workload's share is recorded with it.
 */
import { readFileSync } from 'node:fs';

/** CPU seconds this bench's processes used: this process plus the children that reported. */
let childCpuS = 0;

export function addChildCpu(userUs: number, systemUs: number): void {
  childCpuS += (userUs + systemUs) / 1e6;
}

interface Snapshot {
  busyS: number | null;
  stealS: number | null;
  ownS: number;
  wallS: number;
}

function procStat(): { busyS: number; stealS: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const hz = 100; // USER_HZ on Linux
    return {
      busyS: (user! + nice! + system! + irq! + softirq!) / hz,
      stealS: (steal ?? 0) / hz,
    };
  } catch {
    return null;
  }
}

export function cpuSnapshot(): Snapshot {
  const own = process.cpuUsage();
  const stat = procStat();
  return {
    busyS: stat?.busyS ?? null,
    stealS: stat?.stealS ?? null,
    ownS: (own.user + own.system) / 1e6 + childCpuS,
    wallS: performance.now() / 1000,
  };
}

/** Average number of cores other processes kept busy between two snapshots (null off Linux). */
export function otherLoad(
  a: Snapshot,
  b: Snapshot,
): { otherCores: number | null; stealCores: number | null } {
  const wall = b.wallS - a.wallS;
  if (a.busyS === null || b.busyS === null || wall <= 0)
    return { otherCores: null, stealCores: null };
  const other = Math.max(0, b.busyS - a.busyS - (b.ownS - a.ownS)) / wall;
  const steal = ((b.stealS ?? 0) - (a.stealS ?? 0)) / wall;
  return { otherCores: Math.round(other * 100) / 100, stealCores: Math.round(steal * 100) / 100 };
}
