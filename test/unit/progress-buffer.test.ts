import { describe, expect, test } from 'vitest';
import { flushMark, ProgressBuffer } from '../../src/worker/progress-buffer.ts';
import { codeOf } from '../support/helpers.ts';

const fence = { id: 'job-1', attempt: 1, owner: 'w-1', row: 1 };

describe('ProgressBuffer', () => {
  test('nothing reported: take() returns undefined', () => {
    const b = new ProgressBuffer();
    expect(b.dirty).toBe(false);
    expect(b.take(fence)).toBeUndefined();
  });

  test('coalesces many reports into one flush with the highest value and last message', () => {
    const b = new ProgressBuffer();
    for (let i = 1; i <= 1_000; i++) b.report(i / 1_000, `step ${i}`);
    expect(b.dirty).toBe(true);
    expect(b.take(fence)).toEqual({
      fence,
      mark: expect.any(Number),
      progress: 1,
      message: 'step 1000',
    });
  });

  test('is monotonic: a lower value is ignored, with its message', () => {
    const b = new ProgressBuffer();
    expect(b.report(0.5, 'half')).toBe(true);
    expect(b.report(0.4, 'back')).toBe(false);
    expect(b.take(fence)).toEqual({
      fence,
      mark: expect.any(Number),
      progress: 0.5,
      message: 'half',
    });
    // Still monotonic across flushes within the attempt.
    expect(b.report(0.3, 'lower')).toBe(false);
    expect(b.dirty).toBe(false);
    expect(b.take(fence)).toBeUndefined();
  });

  test('an equal value with a new message is accepted', () => {
    const b = new ProgressBuffer();
    b.report(0.5, 'downloading');
    b.take(fence);
    expect(b.report(0.5, 'uploading')).toBe(true);
    expect(b.take(fence)).toEqual({
      fence,
      mark: expect.any(Number),
      progress: 0.5,
      message: 'uploading',
    });
  });

  test('a report without a message leaves the message out of the flush', () => {
    const b = new ProgressBuffer();
    b.report(0.2);
    expect(b.take(fence)).toEqual({ fence, mark: expect.any(Number), progress: 0.2 });
  });

  test.each([-0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null, undefined])(
    'refuses %s with INVALID_ARGUMENT',
    (value) => {
      const b = new ProgressBuffer();
      expect(codeOf(() => b.report(value as number))).toBe('INVALID_ARGUMENT');
      expect(b.dirty).toBe(false);
    },
  );

  test('0 and 1 are accepted', () => {
    const b = new ProgressBuffer();
    expect(b.report(0)).toBe(true);
    expect(b.report(1)).toBe(true);
  });

  test('usage is summed (tokens rounded), logs kept in order, checkpoint is the last one', () => {
    const b = new ProgressBuffer();
    b.spend(10, 0.5);
    b.spend(2.4, undefined);
    b.spend(undefined, 0.25);
    b.log(1, 'info', 'one', null);
    b.beat({ done: 1 }, true);
    b.log(2, 'warn', 'two', { x: 1 });
    b.beat({ done: 2 }, true);
    b.beat(undefined, false);
    const flush = b.take(fence)!;
    expect(flush.usage).toEqual({ tokens: 12, costUsd: 0.75 });
    expect(flush.logs!.map((l) => l.message)).toEqual(['one', 'two']);
    expect(flush.heartbeat).toBe(true);
    expect(flush.checkpointJson).toBe('{"done":2}');
    expect(flush.logs!.map((l) => l.fieldsJson)).toEqual([null, '{"x":1}']);
    expect(flush.progress).toBeUndefined();
  });

  test('a heartbeat without details sets no checkpoint; with undefined details it does', () => {
    const b = new ProgressBuffer();
    b.beat(undefined, false);
    expect(b.take(fence)).toEqual({ fence, mark: expect.any(Number), heartbeat: true });
    b.beat(undefined, true);
    expect(b.take(fence)).toEqual({
      fence,
      mark: expect.any(Number),
      heartbeat: true,
      checkpointJson: 'null',
    });
  });

  test('each flush has a mark above the last, within an attempt and across attempts', () => {
    const b = new ProgressBuffer();
    const marks: number[] = [];
    for (let i = 0; i < 3; i++) {
      b.report(i / 10);
      marks.push(b.take(fence)!.mark);
    }
    expect(marks).toEqual([flushMark(1, 1), flushMark(1, 2), flushMark(1, 3)]);
    // A new attempt starts a new buffer; its first mark is above every mark of attempt 1.
    const next = new ProgressBuffer();
    next.report(0.1);
    expect(next.take({ ...fence, attempt: 2 })!.mark).toBeGreaterThan(flushMark(1, 2 ** 32 - 1));
  });

  test('take() resets everything but the high-water mark', () => {
    const b = new ProgressBuffer();
    b.report(0.7, 'x');
    b.spend(5, 1);
    b.log(1, 'info', 'm', null);
    b.beat({ c: 1 }, true);
    expect(b.take(fence)).toBeDefined();
    expect(b.dirty).toBe(false);
    expect(b.take(fence)).toBeUndefined();
    b.spend(1, 0);
    expect(b.take(fence)).toEqual({
      fence,
      mark: expect.any(Number),
      usage: { tokens: 1, costUsd: 0 },
    });
  });

  test.each([
    [-1, 0],
    [Number.NaN, 0],
    [0, -0.01],
    [0, Number.POSITIVE_INFINITY],
  ])('refuses usage tokens=%s costUsd=%s', (tokens, cost) => {
    const b = new ProgressBuffer();
    expect(codeOf(() => b.spend(tokens, cost))).toBe('INVALID_ARGUMENT');
  });

  test('heartbeat details JSON cannot hold are refused, changing nothing; log fields never throw', () => {
    const b = new ProgressBuffer();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    b.beat({ done: 1 }, true);
    expect(codeOf(() => b.beat({ n: 1n }, true))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => b.beat(cycle, true))).toBe('INVALID_ARGUMENT');
    b.log(1, 'info', 'cyclic', cycle);
    b.log(2, 'info', 'big', { n: 1n });
    const flush = b.take(fence)!;
    expect(flush.checkpointJson).toBe('{"done":1}');
    expect(flush.logs!.map((l) => JSON.parse(l.fieldsJson!))).toEqual([
      { unserializable: expect.stringMatching(/circular/) },
      { unserializable: expect.stringMatching(/BigInt/) },
    ]);
  });

  test('a NUL in a progress message or a log message is stored as U+FFFD', () => {
    const b = new ProgressBuffer();
    b.report(0.5, 'a\u0000b');
    b.log(1, 'info', 'x\u0000y', { s: 'in fields, JSON escapes it: \u0000' });
    const flush = b.take(fence)!;
    expect(flush.message).toBe('a\uFFFDb');
    expect(flush.logs![0]!.message).toBe('x\uFFFDy');
    expect(flush.logs![0]!.fieldsJson).toContain('\\u0000');
  });

  test('very long log messages are truncated', () => {
    const b = new ProgressBuffer();
    b.log(1, 'info', 'x'.repeat(20_000), null);
    const message = b.take(fence)!.logs![0]!.message;
    expect(message.length).toBeLessThan(9_000);
    expect(message.endsWith('…')).toBe(true);
  });
});
