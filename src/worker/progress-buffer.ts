import { KilnError } from '../core/errors.ts';
import type { LogEntry } from '../core/model.ts';
import { jsonText, storableText } from '../core/text.ts';
import type { Fence, NewLog, ProgressFlush } from '../store/store.ts';
import { logFieldsText } from './storable.ts';

const MAX_LOG_MESSAGE = 8_192;

/**
 * A flush's mark: its attempt, then its place among the attempt's flushes, as one number
 * that only rises within a job (2^32 flushes an attempt, 2^21 attempts: within 2^53).
 * The store applies a flush only when its mark is above the job's `flush_mark`, so a
 * flush sent again after a turn whose outcome was unknown is not applied twice.
 */
export function flushMark(attempt: number, n: number): number {
  return attempt * 2 ** 32 + n;
}

/**
 * What a handler reported since the last flush, coalesced: only the highest progress,
 * the last message and checkpoint, summed usage, and the log lines in order.
 * Calls cost a few comparisons, so handlers may report tens of thousands of times a
 * second; the worker writes the buffer in its next turn.
 */
export class ProgressBuffer {
  /** Highest fraction accepted in this attempt: lower reports are ignored. */
  private high = 0;
  private progress: number | undefined;
  private message: string | null | undefined;
  private heartbeat = false;
  private checkpointJson: string | undefined;
  private tokens = 0;
  private costUsd = 0;
  /** Flushes taken so far: the next one's place in its mark. */
  private taken = 0;
  /** Made on the first log line: most attempts log nothing. */
  private logs: NewLog[] | undefined;
  dirty = false;

  /** Returns false when the value was below the last one and so ignored. */
  report(fraction: number, message?: string): boolean {
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `progress must be a number from 0 to 1, got ${String(fraction)}`,
      );
    }
    if (fraction < this.high) return false;
    this.high = fraction;
    this.progress = fraction;
    if (message !== undefined)
      this.message = storableText(String(message).slice(0, MAX_LOG_MESSAGE));
    this.dirty = true;
    return true;
  }

  /** Throws INVALID_ARGUMENT, changing nothing, when JSON cannot hold the details. */
  beat(details: unknown, hasDetails: boolean): void {
    if (hasDetails) this.checkpointJson = jsonText(details, 'heartbeat details');
    this.heartbeat = true;
    this.dirty = true;
  }

  spend(tokens: number | undefined, costUsd: number | undefined): void {
    if (tokens !== undefined && !(Number.isFinite(tokens) && tokens >= 0)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `usage tokens must be a finite number >= 0, got ${String(tokens)}`,
      );
    }
    if (costUsd !== undefined && !(Number.isFinite(costUsd) && costUsd >= 0)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        `usage costUsd must be a finite number >= 0, got ${String(costUsd)}`,
      );
    }
    this.tokens += Math.round(tokens ?? 0);
    this.costUsd += costUsd ?? 0;
    this.dirty = true;
  }

  log(atMs: number, level: LogEntry['level'], message: string, fields: unknown): void {
    const text =
      message.length > MAX_LOG_MESSAGE ? `${message.slice(0, MAX_LOG_MESSAGE)}…` : message;
    this.logs ??= [];
    this.logs.push({ atMs, level, message: storableText(text), fieldsJson: logFieldsText(fields) });
    this.dirty = true;
  }

  /** The flush for the store, resetting the buffer; undefined when nothing changed. */
  take(fence: Fence): ProgressFlush | undefined {
    if (!this.dirty) return undefined;
    const flush: ProgressFlush = { fence, mark: flushMark(fence.attempt, ++this.taken) };
    if (this.progress !== undefined) flush.progress = this.progress;
    if (this.message !== undefined) flush.message = this.message;
    if (this.heartbeat) flush.heartbeat = true;
    if (this.checkpointJson !== undefined) flush.checkpointJson = this.checkpointJson;
    if (this.tokens !== 0 || this.costUsd !== 0)
      flush.usage = { tokens: this.tokens, costUsd: this.costUsd };
    if (this.logs) flush.logs = this.logs;
    this.progress = undefined;
    this.message = undefined;
    this.heartbeat = false;
    this.checkpointJson = undefined;
    this.tokens = 0;
    this.costUsd = 0;
    this.logs = undefined;
    this.dirty = false;
    return flush;
  }
}
