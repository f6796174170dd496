/** Finished jobs per time bucket as SVG bars (completed and failed stacked). */
import type { Bucket } from '../format/throughput.ts';

export function ThroughputChart(props: { buckets: readonly Bucket[]; bucketMs: number }) {
  const { buckets } = props;
  const w = 600;
  const h = 120;
  const max = Math.max(1, ...buckets.map((b) => b.completed + b.failed));
  const bw = buckets.length === 0 ? 0 : w / buckets.length;
  const total = buckets.reduce((s, b) => s + b.completed + b.failed, 0);
  return (
    <figure className="chart" data-testid="throughput-chart">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={`Throughput: ${total} jobs finished, at most ${max} per ${props.bucketMs / 1000} s`}
        preserveAspectRatio="none"
      >
        {buckets.map((b, i) => {
          const hc = (b.completed / max) * (h - 4);
          const hf = (b.failed / max) * (h - 4);
          return (
            <g key={b.at}>
              <rect
                x={i * bw + 1}
                width={Math.max(1, bw - 2)}
                y={h - hc}
                height={hc}
                className="bar-completed"
              />
              <rect
                x={i * bw + 1}
                width={Math.max(1, bw - 2)}
                y={h - hc - hf}
                height={hf}
                className="bar-failed"
              />
            </g>
          );
        })}
      </svg>
      <figcaption>
        {buckets.length === 0
          ? 'No finished jobs yet.'
          : `Jobs finished per ${props.bucketMs / 1000} s`}
      </figcaption>
    </figure>
  );
}
