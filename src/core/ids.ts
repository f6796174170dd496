import { randomFillSync } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): time-ordered, so ids sort by creation and make a stable cursor.
 * Within one millisecond a counter keeps ids of this process strictly increasing.
 */
// Random bytes are drawn 4 KiB at a time: one syscall per ~450 ids, not one per id.
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;
let lastMs = 0;
let counter = 0;

function take(n: number): number {
  if (poolAt + n > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += n;
  return at;
}

export function newId(nowMs: number = Date.now()): string {
  const at = take(9);
  if (nowMs <= lastMs) {
    nowMs = lastMs;
    counter = (counter + 1) & 0xfff;
    if (counter === 0) nowMs = ++lastMs;
  } else {
    lastMs = nowMs;
    counter = POOL[at]! & 0x7ff; // random start leaves room to count up
  }
  const hex = nowMs.toString(16).padStart(12, '0');
  const variant = (0x80 | (POOL[at + 1]! & 0x3f)).toString(16);
  const tail = POOL.toString('hex', at + 2, at + 9);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${(0x7000 | counter).toString(16)}-${variant}${tail.slice(0, 2)}-${tail.slice(2, 14)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function isId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
