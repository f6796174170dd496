/** The bench process's side of a child process: spawn, message, wait, kill. */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addChildCpu } from './cpu.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';

const live = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL); safe to call more than once. */
export function killAllChildren(): void {
  for (const p of live) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
  live.clear();
}

type Waiter = {
  type: ChildMessage['type'];
  resolve: (m: ChildMessage) => void;
  reject: (e: Error) => void;
};

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private exitedWith: string | undefined;

  /**
   * Runs `bench/support/<script>` on this Node (process.execPath) with an IPC channel:
   * compiled (`npm run bench` builds bench/.build first), as users run workers, so the
   * figures (RSS above all) do not include Node's TypeScript stripper; else the source.
   */
  constructor(name: string, script: string, config: object) {
    this.name = name;
    const built = fileURLToPath(new URL(`../.build/bench/support/${script}.js`, import.meta.url));
    const path = existsSync(built)
      ? built
      : fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
    // Worker and server processes run with the flags of `kiln worker` and `kiln serve`
    // (bin/kiln.ts, its first line; `npm start`); BENCH_CHILD_NODE_ARGS replaces them
    // ('' for Node's defaults).
    const defaults = script === 'worker' || script === 'server' ? '--max-semi-space-size=4' : '';
    const childArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? defaults).split(' ').filter(Boolean);
    this.proc = fork(path, [JSON.stringify(config)], {
      execPath: process.execPath,
      execArgv: childArgs,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    live.add(this.proc);
    this.proc.on('message', (m: ChildMessage) => this.deliver(m));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after the IPC channel delivered every message.
      this.proc.on('close', (code, signal) => {
        live.delete(this.proc);
        this.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
        for (const w of this.waiters.splice(0)) {
          w.reject(
            new Error(
              `${this.name} exited (${this.exitedWith}) while the bench waited for \`${w.type}\``,
            ),
          );
        }
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(m: ParentMessage): void {
    if (this.proc.connected) this.proc.send(m);
  }

  private deliver(m: ChildMessage): void {
    if (m.type === 'report') addChildCpu(m.cpu.user, m.cpu.system);
    if (m.type === 'error') {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.name}: ${m.message}`));
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    else this.inbox.push(m);
  }

  /** The next message of this type (an earlier unread one first), or a rejection after `timeoutMs`. */
  next<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0)
      return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<ChildMessage, { type: T }>);
    if (this.exitedWith !== undefined) {
      return Promise.reject(
        new Error(`${this.name} already exited (${this.exitedWith}); no \`${type}\` will come`),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ChildMessage, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.name}: no \`${type}\` within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asks the child for its report, then waits for it to exit. */
  async stop(timeoutMs = 30_000): Promise<Extract<ChildMessage, { type: 'report' }>> {
    this.send({ type: 'stop' });
    const report = await this.next('report', timeoutMs);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    this.kill();
    return report;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
