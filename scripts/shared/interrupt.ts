/**
 * Ctrl-C (or SIGTERM) during a chaos or fuzz run: the children go first (so nothing
 * holds the store), then whatever the run registered to remove, then exit 130.
 */
import { killAll } from './processes.ts';

export function stopOnSignals(name: string, cleanups: Set<() => Promise<void>>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${name}: ${signal}, stopping\n`);
      const force = setTimeout(() => process.exit(130), 10_000);
      void killAll()
        .then(() => Promise.all([...cleanups].map((f) => f().catch(() => {}))))
        .finally(() => {
          clearTimeout(force);
          process.exit(130);
        });
    });
  }
}
