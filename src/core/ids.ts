import { randomFillSync } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): time-ordered, so ids sort by creation and make a stable cursor.
 * Within one millisecond a counter keeps ids of this process strictly increasing.
 */
const random = new Uint8Array(10);
let lastMs = 0;
let counter = 0;

export function newId(nowMs: number = Date.now()): string {
  randomFillSync(random);
  if (nowMs <= lastMs) {
    nowMs = lastMs;
    counter = (counter + 1) & 0xfff;
    if (counter === 0) nowMs = ++lastMs;
  } else {
    lastMs = nowMs;
    counter = random[0]! & 0x7ff; // random start leaves room to count up
  }
  const hex = nowMs.toString(16).padStart(12, '0');
  const seqHi = 0x70 | (counter >> 8);
  const seqLo = counter & 0xff;
  const variant = 0x80 | (random[1]! & 0x3f);
  const tail = Buffer.from(random.buffer, 2, 7).toString('hex');
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-` +
    `${seqHi.toString(16)}${seqLo.toString(16).padStart(2, '0')}-` +
    `${variant.toString(16)}${tail.slice(0, 2)}-${tail.slice(2, 14)}`
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function isId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
