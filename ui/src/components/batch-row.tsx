import { memo } from 'react';
import { Link } from 'wouter';
import { useBatch } from '../live/hooks.ts';
import { BatchCounts } from './counts.tsx';
import { ProgressBar } from './progress-bar.tsx';

/** A batch in the Batches list: name, state, live aggregate progress and totals. */
export const BatchRow = memo(function BatchRow({ id }: { id: string }) {
  const b = useBatch(id);
  if (!b) return null;
  return (
    <li className="batch-row" data-testid="batch-row" data-batch-id={b.id} data-state={b.state}>
      <div className="batch-head">
        <Link href={`/batches/${b.id}`} className="batch-name">
          {b.name}
        </Link>
        <span className={`badge badge-${b.state}`}>{b.state}</span>
        {b.template ? <span className="muted">template {b.template}</span> : null}
        <span className="muted">{new Date(b.createdAt).toLocaleString()}</span>
      </div>
      <ProgressBar
        value={b.progress}
        label={`${b.name} progress`}
        testId="batch-progress"
        state={b.state}
      />
      <BatchCounts batch={b} />
    </li>
  );
});
