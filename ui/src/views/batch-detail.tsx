/**
 * `/batches/:id`: totals, live progress, throughput chart and ETA, actions, the ZIP, and
 * a virtualized row per job. The chart's data is the API's timeline (./timeline.ts).
 */
import { useEffect, useState } from 'react';
import { api, exportUrl } from '../api/index.ts';
import type { BatchBody } from '../api/types.ts';
import { BatchCounts } from '../components/counts.tsx';
import { errorMessage, FormError } from '../components/form-error.tsx';
import { JobList } from '../components/job-list.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { ThroughputChart } from '../components/throughput-chart.tsx';
import { padBuckets } from '../format/throughput.ts';
import { readSynced } from '../live/connection.ts';
import { useBatch, useBatchJobIds, useNow } from '../live/hooks.ts';
import { store } from '../live/store.ts';
import { loadBatchJobs } from './load.ts';
import { batchSpan, type TimelineData, useTimeline } from './timeline.ts';

export function BatchDetailView({ id }: { id: string }) {
  const batch = useBatch(id);
  const ids = useBatchJobIds(id);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const timeline = useTimeline(batch);

  useEffect(() => {
    const ac = new AbortController();
    readSynced(async () => {
      store.putBatch(await api.batch(id));
    }).catch(setError);
    loadBatchJobs(id, ac.signal).catch(setError);
    return () => ac.abort();
  }, [id]);

  const act = async (action: 'pause' | 'resume' | 'cancel' | 'retry-failed') => {
    setBusy(true);
    setError(undefined);
    try {
      store.putBatch(await api.batchAction(id, action));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!batch) {
    return (
      <div className="view">
        <FormError error={error} />
        <p className="muted">Loading batch…</p>
      </div>
    );
  }
  const ended =
    batch.state === 'completed' || batch.state === 'failed' || batch.state === 'cancelled';
  return (
    <div className="view" data-testid="batch-detail" data-state={batch.state}>
      <h1>
        {batch.name} <span className={`badge badge-${batch.state}`}>{batch.state}</span>
      </h1>
      <ProgressBar
        value={batch.progress}
        label={`${batch.name} progress`}
        testId="batch-progress"
        state={batch.state}
      />
      <BatchCounts batch={batch} />
      <BatchFacts batch={batch} />
      <div className="actions">
        <button
          type="button"
          data-testid="action-pause"
          disabled={busy || ended || batch.paused}
          onClick={() => act('pause')}
        >
          Pause
        </button>
        <button
          type="button"
          data-testid="action-resume"
          disabled={busy || !batch.paused || batch.cancelled}
          onClick={() => act('resume')}
        >
          Resume
        </button>
        <button
          type="button"
          data-testid="action-cancel"
          disabled={busy || ended}
          onClick={() => act('cancel')}
        >
          Cancel
        </button>
        <button
          type="button"
          data-testid="action-retry-failed"
          disabled={busy || batch.counts.failed === 0}
          onClick={() => act('retry-failed')}
        >
          Retry failed
        </button>
        <a className="button" data-testid="download-zip" href={exportUrl(batch.id)} download>
          Download ZIP
        </a>
      </div>
      <FormError error={error} />
      <Throughput batch={batch} timeline={timeline} />
      <h2>Jobs ({ids.length})</h2>
      <JobList ids={ids} label={`Jobs of ${batch.name}`} />
    </div>
  );
}

/** The chart over the batch's run so far, padded to it; the last read's failure under it. */
function Throughput({ batch, timeline }: { batch: BatchBody; timeline: TimelineData | undefined }) {
  const now = useNow(); // the axis's end moves on while the batch runs
  if (timeline === undefined) return <p className="muted">Loading throughput…</p>;
  const { startMs, endMs } = batchSpan(batch, now);
  return (
    <>
      <ThroughputChart
        buckets={padBuckets(timeline.items, timeline.bucketMs, startMs, endMs)}
        bucketMs={timeline.bucketMs}
        startMs={startMs}
        endMs={endMs}
        running={batch.finishedAt === null}
      />
      {timeline.error === undefined ? null : (
        <p className="muted" role="status" data-testid="throughput-error">
          {`Throughput not updated (${errorMessage(timeline.error)}); trying again.`}
        </p>
      )}
    </>
  );
}

/** Template, start, cap and webhook, when the batch has them. */
function BatchFacts({ batch }: { batch: BatchBody }) {
  const cap = batch.concurrency;
  const facts: string[] = [];
  if (batch.template) facts.push(`template ${batch.template}`);
  facts.push(`created ${new Date(batch.createdAt).toLocaleString()}`);
  if (cap) facts.push(`at most ${cap} at once`);
  if (batch.webhook) facts.push(`webhook ${batch.webhook.state}`);
  return <p className="muted">{facts.join(' · ')}</p>;
}
