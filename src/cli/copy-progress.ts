/**
 * `kiln copy`'s progress on stderr, one line per phase: redrawn in place on a terminal
 * (at most ten times a second), and as plain lines when piped (one every two seconds
 * while a phase runs, and one when it ends), so a log of a long copy stays short.
 */
import type { CopyPhase, CopyProgress } from '../index.ts';

const number = new Intl.NumberFormat('en');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export class CopyProgressPrinter {
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private phase: CopyPhase | undefined;
  private last: CopyProgress | undefined;
  private phaseStartMs = 0;
  private drawnMs = 0;
  /** A terminal line is drawn and not yet ended. */
  private open = false;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.out = out;
    this.tty = out.isTTY === true;
  }

  update(p: CopyProgress): void {
    const now = Date.now();
    if (p.phase !== this.phase) {
      this.end();
      this.phase = p.phase;
      this.phaseStartMs = now;
      // A terminal shows the phase at once; a log hears of it when it ends, or in 2 s.
      this.drawnMs = this.tty ? 0 : now;
    }
    this.last = p;
    if (this.tty ? now - this.drawnMs >= 100 : now - this.drawnMs >= 2_000 && p.done < p.total) {
      this.draw(now);
    }
  }

  /** Ends the current phase's line: its final figures. */
  end(): void {
    if (this.last === undefined) return;
    this.draw(Date.now());
    if (this.tty) this.out.write('\n');
    this.open = false;
    this.last = undefined;
  }

  /** Before an error message: leaves a half-drawn terminal line as it is, on a line of its own. */
  interrupt(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
    this.last = undefined;
  }

  private draw(now: number): void {
    const p = this.last!;
    this.drawnMs = now;
    const line = this.format(p, now - this.phaseStartMs);
    if (this.tty) {
      this.out.write(`\r\x1b[K${line}`);
      this.open = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  private format(p: CopyProgress, elapsedMs: number): string {
    const parts = [`  ${p.phase.padEnd(10)} ${number.format(p.done)}/${number.format(p.total)}`];
    if (p.total > 0) parts.push(`${Math.floor((100 * p.done) / p.total)}%`);
    if (p.phase === 'artifacts') {
      parts.push(`${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)}`);
    }
    if (elapsedMs >= 1_000 && p.done > 0) {
      parts.push(`${number.format(Math.round((p.done * 1_000) / elapsedMs))}/s`);
    }
    return parts.join('  ');
  }
}
