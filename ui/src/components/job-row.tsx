/**
 * One job as a row: icon, name, live progress, message, attempt, heartbeat age. Reads its
 * job from the live store by id, so only the rows whose job changed re-render.
 */
import { memo } from 'react';
import { Link } from 'wouter';
import type { JobBody } from '../api/types.ts';
import { useJob } from '../live/hooks.ts';
import { HeartbeatAge } from './heartbeat-age.tsx';
import { ProgressBar } from './progress-bar.tsx';
import { StatusIcon } from './status-icon.tsx';

export const JobRow = memo(function JobRow(props: {
  id: string;
  style?: React.CSSProperties;
  showBatch?: boolean;
}) {
  const job = useJob(props.id);
  if (!job) return <div className="job-row" style={props.style} />;
  return <JobRowView job={job} style={props.style} showBatch={props.showBatch === true} />;
});

function JobRowView({
  job,
  style,
  showBatch,
}: {
  job: JobBody;
  style: React.CSSProperties | undefined;
  showBatch: boolean;
}) {
  const label = job.name ?? job.type;
  const shown = job.state === 'completed' ? 1 : job.progress;
  return (
    <div
      className="job-row"
      style={style}
      data-testid="job-row"
      data-job-id={job.id}
      data-state={job.state}
      data-attempt={job.attempt}
    >
      <StatusIcon state={job.state} />
      <Link href={`/jobs/${job.id}`} className="job-name">
        {label}
      </Link>
      <ProgressBar
        value={shown}
        label={`${label} progress`}
        testId="job-progress"
        state={job.state}
      />
      <span className="job-message" data-testid="job-message">
        {job.progressMessage ?? ''}
      </span>
      <span className="job-attempt" data-testid="job-attempt" title="attempt">
        {job.attempt}/{job.maxAttempts}
      </span>
      <HeartbeatAge at={job.heartbeatAt} />
      {showBatch && job.batchId ? (
        <Link href={`/batches/${job.batchId}`} className="job-batch">
          batch
        </Link>
      ) : null}
    </div>
  );
}
