import type { BatchBody } from '../api/types.ts';
import { duration, usd } from '../format/time.ts';

/** A batch's totals: the five counts, ETA and cost, each with its test id. */
export function BatchCounts({ batch }: { batch: BatchBody }) {
  const c = batch.counts;
  const item = (key: string, n: number) => (
    <span className={`count count-${key}`}>
      <span className="count-label">{key}</span> <span data-testid={`batch-count-${key}`}>{n}</span>
    </span>
  );
  return (
    <div className="counts">
      {item('total', c.total)}
      {item('pending', c.pending)}
      {item('running', c.running)}
      {item('completed', c.completed)}
      {item('failed', c.failed)}
      <span className="count">
        <span className="count-label">ETA</span>{' '}
        <span data-testid="batch-eta">
          {batch.etaMs === null ? (batch.finishedAt ? 'done' : '—') : duration(batch.etaMs)}
        </span>
      </span>
      <span className="count">
        <span className="count-label">cost</span>{' '}
        <span data-testid="batch-cost">{usd(batch.usage.costUsd)}</span>
      </span>
    </div>
  );
}
