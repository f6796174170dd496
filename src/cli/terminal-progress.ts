import { styleText } from 'node:util';
import type { Batch, Job, JobState } from '../index.ts';

export interface TerminalProgressOptions {
  /** Redraws per second on a TTY. Default 10. */
  fps?: number;
  /** Force colours on or off; default: a TTY with colours and no NO_COLOR. */
  color?: boolean;
  /** Force in-place redraws (TTY) or plain lines. Default: `out.isTTY`. */
  live?: boolean;
  /** Draw the batch total line; false when following one job alone. Default true. */
  batchLine?: boolean;
}

type Style = Parameters<typeof styleText>[0];

const ICONS: Record<JobState, [string, Style]> = {
  pending: ['·', 'gray'],
  running: ['●', 'yellow'],
  completed: ['✓', 'green'],
  failed: ['✗', 'red'],
  cancelled: ['⊘', 'gray'],
};

const MAX_NAME_WIDTH = 28;

interface Layout {
  width: number;
  name: number;
  bar: number;
}

/**
 * Live progress of one batch in a terminal: a line per job (bar, state, message) and a
 * batch total line (counts, ETA, usage).
 *
 * On a TTY the block is redrawn in place with ANSI cursor movement, at most `fps` times
 * a second however often jobs change. Piped (a file, `| cat`, CI logs) it prints a
 * plain line whenever a job's state or message changes, and one when the counts change.
 */
export class TerminalProgress {
  private readonly out: NodeJS.WriteStream;
  private readonly live: boolean;
  private readonly color: boolean;
  private readonly frameMs: number;
  private readonly batchLine: boolean;
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
    this.batchLine = options.batchLine ?? true;
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
    const layout = this.layout();
    const rows = this.out.rows || 40;
    const total = this.batchLine ? this.batchLines(layout) : [];
    const lines = [...this.jobLines(layout, Math.max(3, rows - 4)), ...total];
    let frame = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r` : '';
    for (const line of lines) frame += `\x1b[2K${line}\n`;
    // Clear what is left of a taller previous frame.
    frame += '\x1b[J';
    this.out.write(frame);
    this.drawnLines = lines.length;
  }

  /** Column widths for this frame: lines never wrap, or the cursor arithmetic breaks. */
  private layout(): Layout {
    const width = Math.max(40, (this.out.columns || 100) - 1);
    let longest = this.batch ? this.batch.name.length : 0;
    for (const j of this.jobs.values()) longest = Math.max(longest, jobLabel(j).length);
    return {
      width,
      name: Math.min(MAX_NAME_WIDTH, Math.max(8, longest)),
      bar: width < 90 ? 10 : 20,
    };
  }

  /** One line per job; when they do not fit, running and failed jobs first, then a summary. */
  private jobLines(layout: Layout, maxLines: number): string[] {
    const all = [...this.jobs.values()];
    if (all.length <= maxLines) return all.map((j) => this.jobLine(j, layout));
    const rank = (j: Job) => (j.state === 'running' ? 0 : j.state === 'failed' ? 1 : 2);
    const shown = new Set(all.toSorted((a, b) => rank(a) - rank(b)).slice(0, maxLines - 1));
    const hidden = all.length - shown.size;
    const lines = all.filter((j) => shown.has(j)).map((j) => this.jobLine(j, layout));
    lines.push(this.paint('gray', `  … and ${hidden} more`));
    return lines;
  }

  private jobLine(job: Job, layout: Layout): string {
    const [icon, style] = ICONS[job.state];
    const name = clip(jobLabel(job), layout.name).padEnd(layout.name);
    const progress = job.state === 'completed' ? 1 : job.progress;
    const meter = bar(progress, layout.bar);
    const state = job.state.padEnd(9);
    const room = layout.width - `${icon} ${name} ${meter} ${percent(progress)} ${state} `.length;
    const line =
      `${this.paint(style, icon)} ${name} ${this.paint(style, meter)} ` +
      `${percent(progress)} ${this.paint(style, state)}`;
    return room > 0 ? `${line} ${clip(jobMessage(job), room)}` : line;
  }

  /** The batch total: bar and counts, then a second line with state, ETA and usage. */
  private batchLines(layout: Layout): string[] {
    const b = this.batch;
    if (!b) return [this.paint('bold', clip('Σ waiting for the batch…', layout.width))];
    const c = b.counts;
    const counts = [
      `${c.completed}/${c.total} done`,
      ...(c.failed > 0 ? [`${c.failed} failed`] : []),
      ...(c.cancelled > 0 ? [`${c.cancelled} cancelled`] : []),
      ...(c.running > 0 ? [`${c.running} running`] : []),
      ...(c.pending > 0 ? [`${c.pending} pending`] : []),
    ];
    const name = clip(b.name, layout.name).padEnd(layout.name);
    const head = `Σ ${name} ${bar(b.progress, layout.bar)} ${percent(b.progress)} `;
    const timing =
      b.finishedAt !== null && b.startedAt !== null
        ? `${b.state} in ${duration(+b.finishedAt - +b.startedAt)}`
        : `${b.state} · ETA ${b.etaMs === null ? '…' : duration(b.etaMs)}`;
    const detail = `${' '.repeat(2 + layout.name + 1)}${timing} · ${usageText(b.usage)}`;
    return [
      this.paint('bold', head + clip(counts.join(' · '), Math.max(0, layout.width - head.length))),
      clip(detail, layout.width),
    ];
  }

  private printJob(job: Job): void {
    const key = `${job.state}|${job.attempt}|${job.progressMessage ?? ''}`;
    if (this.printed.get(job.id) === key) return;
    this.printed.set(job.id, key);
    const progress = job.state === 'completed' ? 1 : job.progress;
    const message = jobMessage(job);
    this.print(
      `${jobLabel(job)}  ${job.state}  ${percent(progress).trim()}${message ? `  ${message}` : ''}`,
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

/** A job's readable label: its name (the grid cell), else its type and short id. */
export function jobLabel(job: Job): string {
  return job.name ?? `${job.type} ${job.id.slice(-8)}`;
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
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (flat.length <= width) return flat;
  return width <= 1 ? flat.slice(0, width) : `${flat.slice(0, width - 1)}…`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

export function usageText(usage: { tokens: number; costUsd: number }): string {
  return `${usage.tokens.toLocaleString('en-US')} tokens · $${usage.costUsd.toFixed(4)}`;
}
