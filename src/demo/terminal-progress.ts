import { styleText } from 'node:util';
import type { Batch, Job, JobState } from '../index.ts';

/**
 * Live progress of one batch in a terminal: a line per job (bar, state, message) and a
 * batch total line (counts, ETA, usage).
 *
 * On a TTY the block is redrawn in place with ANSI cursor movement, at most `fps` times
 * a second however often jobs change. Piped (a file, `| cat`, CI logs) it prints a
 * plain line whenever a job's state or message changes, and one when the counts change.
 */
export interface TerminalProgressOptions {
  /** Redraws per second on a TTY. Default 10. */
  fps?: number;
  /** Force colours on or off; default: a TTY with colours and no NO_COLOR. */
  color?: boolean;
  /** Force in-place redraws (TTY) or plain lines. Default: `out.isTTY`. */
  live?: boolean;
}

type Style = Parameters<typeof styleText>[0];

const ICONS: Record<JobState, [string, Style]> = {
  pending: ['·', 'gray'],
  running: ['●', 'yellow'],
  completed: ['✓', 'green'],
  failed: ['✗', 'red'],
  cancelled: ['⊘', 'gray'],
};

const BAR_WIDTH = 20;
const NAME_WIDTH = 28;

export class TerminalProgress {
  private readonly out: NodeJS.WriteStream;
  private readonly live: boolean;
  private readonly color: boolean;
  private readonly frameMs: number;
  private readonly startedMs = Date.now();
  private readonly jobs = new Map<string, Job>();
  /** What the plain mode last printed per job, to print only changes. */
  private readonly printed = new Map<string, string>();
  private batch: Batch | null = null;
  private printedCounts = '';
  private drawnLines = 0;
  private lastFrameMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onResize = () => {
    // Lines drawn for the old width may have wrapped: start the block afresh.
    this.out.write('\x1b[2J\x1b[H');
    this.drawnLines = 0;
    this.draw();
  };
  private readonly restoreCursor = () => this.out.write('\x1b[?25h');

  constructor(out: NodeJS.WriteStream = process.stdout, options: TerminalProgressOptions = {}) {
    this.out = out;
    this.live = options.live ?? out.isTTY === true;
    this.color =
      options.color ?? (this.live && !process.env.NO_COLOR && (out.hasColors?.() ?? false));
    this.frameMs = Math.round(1000 / (options.fps ?? 10));
    if (this.live) {
      out.write('\x1b[?25l');
      process.once('exit', this.restoreCursor);
      out.on('resize', this.onResize);
    }
  }

  /** A job's latest snapshot (from the change feed or a read). Older snapshots are ignored. */
  updateJob(job: Job): void {
    const known = this.jobs.get(job.id);
    if (known && known.seq > job.seq) return;
    this.jobs.set(job.id, job);
    if (this.live) this.schedule();
    else this.printJob(job);
  }

  updateBatch(batch: Batch): void {
    this.batch = batch;
    if (this.live) this.schedule();
    else this.printBatch(batch);
  }

  /** Draws the final state and gives the terminal back. */
  stop(): void {
    if (this.stopped) return;
    if (this.live) {
      clearTimeout(this.timer);
      this.draw();
      this.restoreCursor();
      process.off('exit', this.restoreCursor);
      this.out.off('resize', this.onResize);
    }
    this.stopped = true;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFrameMs + this.frameMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
  }

  private draw(): void {
    if (this.stopped) return;
    this.lastFrameMs = Date.now();
    const width = Math.max(40, (this.out.columns || 100) - 1);
    const rows = this.out.rows || 40;
    const lines = [...this.jobLines(width, Math.max(3, rows - 3)), this.batchLine(width)];
    let frame = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r` : '';
    for (const line of lines) frame += `\x1b[2K${line}\n`;
    // Clear what is left of a taller previous frame.
    frame += '\x1b[J';
    this.out.write(frame);
    this.drawnLines = lines.length;
  }

  /** One line per job; when they do not fit, running and failed jobs first, then a summary. */
  private jobLines(width: number, maxLines: number): string[] {
    const all = [...this.jobs.values()];
    if (all.length <= maxLines) return all.map((j) => this.jobLine(j, width));
    const rank = (j: Job) => (j.state === 'running' ? 0 : j.state === 'failed' ? 1 : 2);
    const shown = new Set(all.toSorted((a, b) => rank(a) - rank(b)).slice(0, maxLines - 1));
    const hidden = all.length - shown.size;
    const lines = all.filter((j) => shown.has(j)).map((j) => this.jobLine(j, width));
    lines.push(this.paint('gray', `  … and ${hidden} more`));
    return lines;
  }

  private jobLine(job: Job, width: number): string {
    const [icon, style] = ICONS[job.state];
    const name = clip(job.name ?? job.id, NAME_WIDTH).padEnd(NAME_WIDTH);
    const progress = job.state === 'completed' ? 1 : job.progress;
    const head = `${icon} ${name} ${bar(progress, BAR_WIDTH)} ${percent(progress)} ${job.state.padEnd(9)} `;
    const room = width - head.length;
    const painted =
      `${this.paint(style, icon)} ${name} ${this.paint(style, bar(progress, BAR_WIDTH))} ` +
      `${percent(progress)} ${this.paint(style, job.state.padEnd(9))} `;
    return room > 0 ? painted + clip(jobMessage(job), room) : painted.trimEnd();
  }

  private batchLine(width: number): string {
    const b = this.batch;
    if (!b) return this.paint('bold', clip('batch: waiting for the first figures…', width));
    const c = b.counts;
    const parts = [
      `${c.completed}/${c.total} done`,
      ...(c.failed > 0 ? [`${c.failed} failed`] : []),
      ...(c.cancelled > 0 ? [`${c.cancelled} cancelled`] : []),
      `${c.running} running`,
      `${c.pending} pending`,
      b.etaMs === null ? (b.finishedAt ? b.state : 'ETA …') : `ETA ${duration(b.etaMs)}`,
      usageText(b.usage),
    ];
    const head = `Σ ${clip(b.name, NAME_WIDTH).padEnd(NAME_WIDTH)} ${bar(b.progress, BAR_WIDTH)} ${percent(b.progress)} `;
    return this.paint('bold', head + clip(parts.join(' · '), Math.max(0, width - head.length)));
  }

  private printJob(job: Job): void {
    const key = `${job.state}|${job.attempt}|${job.progressMessage ?? ''}`;
    if (this.printed.get(job.id) === key) return;
    this.printed.set(job.id, key);
    const progress = job.state === 'completed' ? 1 : job.progress;
    const message = jobMessage(job);
    this.print(
      `${job.name ?? job.id}  ${job.state}  ${percent(progress).trim()}${message ? `  ${message}` : ''}`,
    );
  }

  private printBatch(b: Batch): void {
    const c = b.counts;
    const key = `${b.state}|${c.completed}|${c.failed}|${c.cancelled}|${c.running}|${c.pending}`;
    if (key === this.printedCounts) return;
    this.printedCounts = key;
    const eta = b.etaMs === null ? '' : `, ETA ${duration(b.etaMs)}`;
    this.print(
      `batch ${b.name}: ${b.state}, ${c.completed}/${c.total} completed, ${c.failed} failed, ` +
        `${c.running} running, ${c.pending} pending${eta}`,
    );
  }

  private print(line: string): void {
    const seconds = ((Date.now() - this.startedMs) / 1000).toFixed(1).padStart(5);
    this.out.write(`[${seconds}s] ${line}\n`);
  }

  private paint(style: Style, text: string): string {
    return this.color ? styleText(style, text, { validateStream: false }) : text;
  }
}

function jobMessage(job: Job): string {
  const retry = job.attempt > 1 ? `(attempt ${job.attempt}) ` : '';
  if (job.state === 'failed') return `${retry}${job.error?.message ?? 'failed'}`;
  if (job.state === 'pending' && job.error) return `${retry}retrying after: ${job.error.message}`;
  return retry + (job.progressMessage ?? '');
}

export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function percent(fraction: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`.padStart(4);
}

/** Cuts text to `width` characters, with an ellipsis when it was longer. */
function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  if (flat.length <= width) return flat;
  return width <= 1 ? flat.slice(0, width) : `${flat.slice(0, width - 1)}…`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function usageText(usage: { tokens: number; costUsd: number }): string {
  return `${usage.tokens.toLocaleString('en-US')} tokens · $${usage.costUsd.toFixed(4)}`;
}
