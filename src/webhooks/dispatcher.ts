import { hostname } from 'node:os';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff.ts';
import { newId } from '../core/ids.ts';
import type { Store, WebhookDelivery } from '../store/store.ts';
import type { WebhooksApi } from './api.ts';
import { deliveryBody } from './payload.ts';
import { postTo } from './post.ts';
import { resolveTarget } from './resolve.ts';
import { fingerprint } from './secret.ts';
import { signatureHeader } from './signature.ts';

type Log = (
  level: 'debug' | 'info' | 'warn' | 'error',
  event: string,
  fields?: Record<string, unknown>,
) => void;

export interface RetryPolicy extends BackoffPolicy {
  /** A delivery whose next attempt would come later than this after the batch ended is dead. */
  giveUpAfterMs: number;
}

/** 5 s, doubling, at most an hour apart, jittered; given up after a day. */
export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 5_000,
  maxMs: 3_600_000,
  jitter: 0.5,
  giveUpAfterMs: 24 * 3_600_000,
};

export interface DispatcherOptions {
  /** The safety-net poll for ended batches and due deliveries. Default 5 s. */
  pollMs?: number;
  /** Looks for ended batches at most this often after other commits. Default 500 ms. */
  noticeEveryMs?: number;
  /** A POST gets this long to answer. Default 10 s. */
  timeoutMs?: number;
  /** How long a claimed delivery is not handed to anyone else. Default timeout + 20 s. */
  leaseMs?: number;
  /** Deliveries sent at once by this process. Default 8. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
}

/**
 * Batch-completion webhooks, in every `kiln serve` process:
 *
 * 1. Notices batch ends, off the worker's hot path: after commits (at most every
 *    `noticeEveryMs`) and on a poll, it asks the store for batches with a webhook and no
 *    recorded end that have ended, and records each end (the batch's mark and its outbox
 *    row in one transaction: Store.recordBatchEnd). Reading the change feed instead would
 *    read every job change to learn which batch moved; the store answers from the few
 *    batches still waiting (a partial index), which is all this needs.
 * 2. Delivers the outbox: claims due rows under a lease (so no two processes send one at
 *    once), POSTs each signed, and settles it: delivered on a 2xx, else retried with
 *    backoff, or dead past `giveUpAfterMs`. A process killed mid-delivery leaves its row
 *    leased; once the lease ends any process sends it again: at least once.
 */
export class WebhookDispatcher {
  private readonly owner = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  private readonly pollMs: number;
  private readonly noticeEveryMs: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private woken = false;
  private cancelSleep: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastNoticeMs = 0;
  private lastPruneMs = 0;

  private readonly store: Store;
  private readonly webhooks: WebhooksApi;
  private readonly log: Log;

  constructor(store: Store, webhooks: WebhooksApi, log: Log, options: DispatcherOptions = {}) {
    this.store = store;
    this.webhooks = webhooks;
    this.log = log;
    this.pollMs = options.pollMs ?? 5_000;
    this.noticeEveryMs = options.noticeEveryMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 20_000;
    this.concurrency = options.concurrency ?? 8;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  start(): this {
    // Commits are hints: a batch may have ended. The store's rows are the truth.
    this.unsubscribe = this.store.onCommit(() => this.poke());
    this.loop = this.run();
    return this;
  }

  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    await this.logSecret();
    while (!this.stopped) {
      let nextDueMs: number | null = null;
      try {
        nextDueMs = await this.pass();
      } catch (error) {
        this.log('warn', 'webhook.pass_failed', { error: messageOf(error) });
      }
      if (this.stopped) break;
      const untilDue = nextDueMs === null ? this.pollMs : nextDueMs - this.store.nowMs();
      await this.sleep(Math.max(0, Math.min(this.pollMs, untilDue)));
      // After a commit notice, wait out the rest of `noticeEveryMs`: a busy worker commits
      // hundreds of times a second, and one look covers them all.
      const sinceNotice = Date.now() - this.lastNoticeMs;
      if (!this.stopped && sinceNotice < this.noticeEveryMs) {
        await this.sleep(this.noticeEveryMs - sinceNotice, false);
      }
    }
  }

  /**
   * One pass: record the ends of batches that ended, deliver what is due. Returns when
   * the next delivery falls due (store clock), null when none is pending.
   */
  async pass(): Promise<number | null> {
    this.lastNoticeMs = Date.now();
    for (const batchId of await this.store.endedWebhookBatches(100)) {
      const deliveryId = newId();
      if (await this.store.recordBatchEnd(batchId, deliveryId)) {
        this.log('info', 'webhook.queued', { batchId, deliveryId });
      }
    }
    // A claim is a write (SQLite: the store's one write lock), so it is made only when a
    // read says something is due.
    for (
      let due = await this.store.nextWebhookDueMs();
      due !== null && due <= this.store.nowMs();
    ) {
      const claimed = await this.store.claimWebhookDeliveries(
        this.owner,
        this.concurrency,
        this.leaseMs,
      );
      await Promise.all(claimed.map((d) => this.deliver(d)));
      if (claimed.length < this.concurrency || this.stopped) break;
      due = await this.store.nextWebhookDueMs();
    }
    if (Date.now() - this.lastPruneMs > 60_000) {
      this.lastPruneMs = Date.now();
      await this.store.pruneWebhookDeliveries();
    }
    return this.store.nextWebhookDueMs();
  }

  private async deliver(d: WebhookDelivery): Promise<void> {
    const body = deliveryBody(d);
    let status: number | null = null;
    let error: string;
    try {
      const { secret } = await this.webhooks.signingSecret();
      const url = new URL(d.url);
      const target = await resolveTarget(url, this.webhooks.allowPrivate);
      status = await postTo(
        url,
        target,
        {
          'content-type': 'application/json',
          'user-agent': 'Kiln-Webhooks/1',
          'kiln-event': d.event,
          'kiln-delivery': d.id,
          'kiln-signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        this.timeoutMs,
      );
      if (status >= 200 && status < 300) {
        const settled = await this.store.settleWebhookDelivery({
          id: d.id,
          owner: this.owner,
          attempt: d.attempt,
          status,
          outcome: 'delivered',
        });
        this.log('info', 'webhook.delivered', {
          deliveryId: d.id,
          batchId: d.batchId,
          attempt: d.attempt,
          status,
          settled,
        });
        return;
      }
      error = `answered HTTP ${status}`;
    } catch (thrown) {
      error = messageOf(thrown);
    }
    const delayMs = backoffDelayMs(d.attempt, this.retry);
    const dead = this.store.nowMs() + delayMs - d.createdAt.getTime() > this.retry.giveUpAfterMs;
    await this.store.settleWebhookDelivery(
      dead
        ? { id: d.id, owner: this.owner, attempt: d.attempt, status, outcome: 'dead', error }
        : {
            id: d.id,
            owner: this.owner,
            attempt: d.attempt,
            status,
            outcome: 'retry',
            error,
            delayMs,
          },
    );
    this.log(dead ? 'error' : 'warn', dead ? 'webhook.dead' : 'webhook.failed', {
      deliveryId: d.id,
      batchId: d.batchId,
      attempt: d.attempt,
      error,
      ...(dead ? {} : { retryInMs: delayMs }),
    });
  }

  /** Says which secret signs, never the secret itself. */
  private async logSecret(): Promise<void> {
    try {
      const { secret, source } = await this.webhooks.signingSecret();
      this.log('info', 'webhook.secret', {
        source,
        fingerprint: fingerprint(secret),
        ...(source === 'store'
          ? {
              hint: 'generated once and kept in the store; read it with kiln.webhooks.secret(), or set KILN_WEBHOOK_SECRET',
            }
          : {}),
      });
    } catch (error) {
      this.log('warn', 'webhook.secret_unavailable', { error: messageOf(error) });
    }
  }

  /** Sleeps `ms`, or less if poked (when `wakeable`) or stopped. */
  private sleep(ms: number, wakeable = true): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.cancelSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.cancelSleep = done;
      if (!wakeable) return;
      if (this.woken) done();
      else this.wake = done;
    }).then(() => {
      if (wakeable) this.woken = false;
    });
  }

  /** Stops the loop; deliveries in flight finish first (each within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.cancelSleep?.();
    await this.loop;
  }
}

function messageOf(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return e?.message ? (e.code ? `${e.code}: ${e.message}` : e.message) : String(error);
}
