import { fork } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KilnError } from '../../core/errors.ts';
import type { Attempt } from '../attempt.ts';
import type { Outcome } from '../outcome.ts';
import type { FromChild, ToChild } from './protocol.ts';

// `.ts` when run from source, `.js` from the build: the entry has this module's extension.
const CHILD_ENTRY = fileURLToPath(
  new URL(`./child-entry${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export interface ProcessRunnerOptions {
  /** After an abort, how long the child may take to stop before it is killed. */
  killGraceMs: number;
}

/**
 * Runs the attempt in a child process of its own. Cancel, timeout or shutdown sends
 * the child an abort (its `ctx.signal` fires); a child still alive `killGraceMs` later
 * is killed with SIGKILL, so a handler that ignores its signal cannot hold a job.
 */
export function runInProcess(
  attempt: Attempt,
  params: unknown,
  options: ProcessRunnerOptions,
): Promise<Outcome> {
  const { job, definition, buffer } = attempt;
  return new Promise<Outcome>((resolve) => {
    const child = fork(CHILD_ENTRY, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const send = (message: ToChild) => {
      if (child.connected) child.send(message);
    };
    const reply = (id: number, work: Promise<unknown>) => {
      work.then(
        (value) => send({ t: 'reply', id, ok: true, value: value as Uint8Array | undefined }),
        (error: unknown) =>
          send({
            t: 'reply',
            id,
            ok: false,
            message: error instanceof Error ? error.message : String(error),
            ...(error instanceof KilnError ? { code: error.code } : {}),
          }),
      );
    };
    attempt.onAbort((reason) => {
      send({ t: 'abort', message: reason.message, code: reason.code });
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs);
      killTimer.unref();
    });
    child.on('message', (m: FromChild) => {
      switch (m.t) {
        case 'progress':
          try {
            if (buffer.report(m.fraction, m.message)) attempt.touched();
          } catch {
            // The child validated the value already; ignore a bad one rather than crash.
          }
          return;
        case 'heartbeat':
          try {
            buffer.beat(m.details, m.hasDetails);
            attempt.touched();
          } catch {
            // The child checked that JSON holds the details; ignore any that it cannot.
          }
          return;
        case 'log':
          buffer.log(Date.now(), m.level, m.message, m.fields);
          return attempt.touched();
        case 'usage':
          try {
            buffer.spend(m.tokens, m.costUsd);
            attempt.touched();
          } catch {}
          return;
        case 'artifact-write':
          return reply(m.id, attempt.writeArtifact(m.name, m.data, m.contentType));
        case 'artifact-list':
          return reply(m.id, attempt.listArtifacts());
        case 'artifact-read':
          return reply(m.id, attempt.readArtifact(m.name));
        case 'done': {
          if (m.ok) return finish({ ok: true, result: m.result });
          const error = Object.assign(new Error(m.error.message), m.error);
          return finish({ ok: false, error, nonRetryable: m.nonRetryable });
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      finish({
        ok: false,
        error: new KilnError(
          'CHILD_PROCESS_EXITED',
          `the handler process exited before finishing (${signal ?? `exit code ${code}`})`,
        ),
      });
    });
    child.on('error', (error) => finish({ ok: false, error }));
    send({
      t: 'start',
      module: definition.module!,
      type: job.type,
      jobId: job.id,
      params,
      batchId: job.batchId,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      checkpoint: job.checkpoint,
    });
  });
}
