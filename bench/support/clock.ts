/**
 * The one clock that timings across processes are taken on: CLOCK_MONOTONIC, which all
 * processes of a machine share, in milliseconds with sub-millisecond precision.
 *
 * Not `performance.timeOrigin + performance.now()`: each process fixes its timeOrigin
 * from the wall clock when it starts, and a wall clock being slewed (this VM's, for an
 * hour after boot, by 5 ms a second) leaves two processes started seconds apart
 * disagreeing by tens of milliseconds, so a report could arrive before it was sent.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
