/**
 * Finished jobs per time bucket as SVG bars (completed and failed stacked), over the
 * batch's whole run, with its time axis (start, bar size, end) under it and a summary as
 * the chart's accessible name.
 */

import type { Bucket } from '../format/throughput.ts';
import { duration } from '../format/time.ts';

export interface ThroughputChartProps {
  /** Padded: one per bar, the empty ones included. */
  buckets: readonly Bucket[];
  bucketMs: number;
  startMs: number;
  endMs: number;
  /** Still running: the axis ends "now". */
  running: boolean;
}

const time = (ms: number) => new Date(ms).toLocaleTimeString();

export function ThroughputChart(props: ThroughputChartProps) {
  const { buckets, bucketMs } = props;
  const w = 600;
  const h = 120;
  const max = Math.max(1, ...buckets.map((b) => b.completed + b.failed));
  const bw = buckets.length === 0 ? 0 : w / buckets.length;
  // A few buckets (a short run) make narrow bars centred in their slots, not wide blocks.
  const barW = Math.max(1, Math.min(bw - 2, 48));
  const completed = buckets.reduce((s, b) => s + b.completed, 0);
  const failed = buckets.reduce((s, b) => s + b.failed, 0);
  const span = duration(props.endMs - props.startMs);
  const total = completed + failed;
  const summary =
    `${total} ${total === 1 ? 'job' : 'jobs'} finished ` +
    `${props.running ? `in the last ${span}` : `over ${span}`}` +
    (failed > 0 ? ` (${failed} failed)` : '') +
    `, in bars of ${duration(bucketMs)}`;
  return (
    <figure className="chart" data-testid="throughput-chart">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`Throughput: ${summary}; at most ${total === 0 ? 0 : max} in one bar`}
        preserveAspectRatio="none"
      >
        {buckets.map((b, i) => {
          const hc = (b.completed / max) * (h - 4);
          const hf = (b.failed / max) * (h - 4);
          return (
            <g key={b.at} data-testid="throughput-bucket">
              <rect
                x={i * bw + (bw - barW) / 2}
                width={barW}
                y={h - hc}
                height={hc}
                className="bar-completed"
              />
              <rect
                x={i * bw + (bw - barW) / 2}
                width={barW}
                y={h - hc - hf}
                height={hf}
                className="bar-failed"
              />
            </g>
          );
        })}
      </svg>
      <div className="chart-axis" data-testid="throughput-axis">
        <time dateTime={new Date(props.startMs).toISOString()}>{time(props.startMs)}</time>
        <span>{duration(bucketMs)} a bar</span>
        {props.running ? (
          <span>now</span>
        ) : (
          <time dateTime={new Date(props.endMs).toISOString()}>{time(props.endMs)}</time>
        )}
      </div>
      <figcaption>{summary}</figcaption>
    </figure>
  );
}
