import type { Kiln } from '../kiln.ts';
import { Scheduler, type SchedulerOptions } from '../schedules/scheduler.ts';
import type { Logger } from '../server/deps.ts';
import { type DispatcherOptions, WebhookDispatcher } from '../webhooks/dispatcher.ts';

/** Background services of a process. */
export interface Services {
  /** Stops the loops and waits for what they have in flight. */
  stop(): Promise<void>;
}

export interface ServicesOptions {
  webhooks?: DispatcherOptions;
  schedules?: SchedulerOptions;
}

/**
 * Starts the background services of a `kiln serve` process: the webhook dispatcher
 * (batch ends into the outbox, the outbox delivered) and the scheduler (templates' cron
 * ticks into batches). Both are safe in any number of processes on one store: each batch
 * end is recorded once and each tick taken once, by compare-and-set in the store.
 */
export function startServices(
  deps: { kiln: Kiln; log: Logger },
  options: ServicesOptions = {},
): Services {
  const dispatcher = new WebhookDispatcher(
    deps.kiln.store,
    deps.kiln.webhooks,
    deps.log,
    options.webhooks,
  ).start();
  const scheduler = startScheduler(deps, options.schedules);
  return {
    stop: async () => {
      await Promise.all([dispatcher.stop(), scheduler.stop()]);
    },
  };
}

/** The scheduler alone, for `kiln worker` processes (they deliver no webhooks). */
export function startScheduler(
  deps: { kiln: Kiln; log: Logger },
  options: SchedulerOptions = {},
): Services {
  const store = deps.kiln.store;
  const scheduler = new Scheduler(
    deps.kiln.schedules,
    () => store.nowMs(),
    deps.log,
    options,
  ).start();
  return { stop: () => scheduler.stop() };
}
