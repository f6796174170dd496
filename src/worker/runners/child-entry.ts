/**
 * The child process of an isolated attempt: loads the job's module, finds the
 * definition by type, runs it with a context that forwards everything to the worker.
 */
import { assertArtifactName } from '../../core/artifact-name.ts';
import { type AnyJobDefinition, isJobDefinition, type JobContext } from '../../core/define-job.ts';
import { coerceError, KilnError } from '../../core/errors.ts';
import type { ArtifactInfo } from '../../core/model.ts';
import { jsonText } from '../../core/text.ts';
import { parseLogArgs, toBytes } from '../context.ts';
import { isNonRetryable } from '../outcome.ts';
import type { FromChild, ToChild } from './protocol.ts';

const controller = new AbortController();
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextId = 1;

function send(message: FromChild): void {
  process.send?.(message);
}

function request<T>(message: FromChild & { id: number }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pending.set(message.id, { resolve: resolve as (v: unknown) => void, reject });
    send(message);
  });
}

// The worker died or closed the channel: nobody can receive our result.
process.on('disconnect', () => process.exit(1));

process.on('message', (m: ToChild) => {
  if (m.t === 'abort') controller.abort(new KilnError(m.code as 'LEASE_LOST', m.message));
  else if (m.t === 'reply') {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (!p) return;
    if (m.ok) p.resolve(m.value);
    else p.reject(m.code ? new KilnError(m.code as 'LEASE_LOST', m.message) : new Error(m.message));
  } else if (m.t === 'start') void run(m);
});

async function findDefinition(moduleUrl: string, type: string): Promise<AnyJobDefinition> {
  const mod = (await import(moduleUrl)) as Record<string, unknown>;
  for (const value of Object.values(mod)) {
    if (isJobDefinition(value) && value.type === type) return value;
    if (Array.isArray(value)) {
      const found = value.find((v) => isJobDefinition(v) && v.type === type);
      if (found) return found;
    }
  }
  throw new KilnError('UNKNOWN_JOB_TYPE', `module ${moduleUrl} exports no job type \`${type}\``);
}

async function run(start: Extract<ToChild, { t: 'start' }>): Promise<void> {
  let definition: AnyJobDefinition | undefined;
  try {
    definition = await findDefinition(start.module, start.type);
    const ctx: JobContext = {
      jobId: start.jobId,
      type: start.type,
      params: start.params,
      batchId: start.batchId,
      attempt: start.attempt,
      maxAttempts: start.maxAttempts,
      checkpoint: start.checkpoint,
      signal: controller.signal,
      progress(fraction: number, message?: string) {
        if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
          throw new KilnError(
            'INVALID_ARGUMENT',
            `progress must be a number from 0 to 1, got ${String(fraction)}`,
          );
        }
        send(
          message === undefined
            ? { t: 'progress', fraction }
            : { t: 'progress', fraction, message },
        );
      },
      heartbeat(...args: unknown[]) {
        // Refused here, in the handler, as the inline runner refuses it (progress-buffer.ts).
        if (args.length > 0) jsonText(args[0], 'heartbeat details');
        send({ t: 'heartbeat', details: args[0], hasDetails: args.length > 0 });
      },
      log(...args: unknown[]) {
        send({ t: 'log', ...parseLogArgs(args) });
      },
      usage(spent: { tokens?: number; costUsd?: number }) {
        send({ t: 'usage', ...spent });
      },
      artifacts: {
        write(name: string, data: string | Uint8Array, options?: { contentType?: string }) {
          assertArtifactName(name);
          return request<void>({
            t: 'artifact-write',
            id: nextId++,
            name,
            data: toBytes(data),
            contentType: options?.contentType ?? null,
          });
        },
        list: () => request<ArtifactInfo[]>({ t: 'artifact-list', id: nextId++ }),
        read: async (name: string) =>
          Buffer.from(await request<Uint8Array>({ t: 'artifact-read', id: nextId++, name })),
      },
    } as JobContext;
    const result = await definition.run(ctx);
    send({ t: 'done', ok: true, result });
  } catch (error) {
    send({
      t: 'done',
      ok: false,
      error: coerceError(error),
      nonRetryable: isNonRetryable(error, definition),
    });
  }
  process.disconnect?.();
}
