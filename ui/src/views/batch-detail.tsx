/**
 * `/batches/:id`: totals, live progress, throughput chart and ETA, actions, the ZIP, and
 * a virtualized row per job. The chart comes from the API's timeline, or, while that
 * route is absent (404), from the finishes this page saw on the event stream.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, exportUrl } from '../api/index.ts';
import type { BatchBody, TimelineBody } from '../api/types.ts';
import { BatchCounts } from '../components/counts.tsx';
import { FormError } from '../components/form-error.tsx';
import { JobList } from '../components/job-list.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { ThroughputChart } from '../components/throughput-chart.tsx';
import { type Bucket, bucketize } from '../format/throughput.ts';
import { useBatch, useBatchJobIds, useFinishes, useNowEvery } from '../live/hooks.ts';
import { store } from '../live/store.ts';
import { loadBatchJobs } from './load.ts';

const BUCKET_MS = 5_000;

export function BatchDetailView({ id }: { id: string }) {
  const batch = useBatch(id);
  const ids = useBatchJobIds(id);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [timeline, setTimeline] = useState<TimelineBody | null | 'absent'>(null);
  const finishes = useFinishes(id);
  const now = useNowEvery(BUCKET_MS);

  useEffect(() => {
    const ac = new AbortController();
    api.batch(id).then((b) => store.putBatch(b), setError);
    loadBatchJobs(id, ac.signal).catch(setError);
    return () => ac.abort();
  }, [id]);

  const finished = batch?.finishedAt != null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read as jobs finish and on the tick
  useEffect(() => {
    if (timeline === 'absent') return;
    api.timeline(id, BUCKET_MS).then(setTimeline, () => setTimeline('absent'));
  }, [id, finishes.length, finished ? 0 : now]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the counts and ids say when the store's jobs finished
  const buckets: Bucket[] = useMemo(() => {
    if (timeline !== null && timeline !== 'absent') {
      return timeline.items.map((b) => ({
        at: Date.parse(b.at),
        completed: b.completed,
        failed: b.failed,
      }));
    }
    // Without the timeline route: the finish times of the jobs this page holds.
    const done: { at: number; failed: boolean }[] = [];
    for (const jobId of store.jobIdsOf(id)) {
      const j = store.jobs.get(jobId);
      if (j?.finishedAt && (j.state === 'completed' || j.state === 'failed')) {
        done.push({ at: Date.parse(j.finishedAt), failed: j.state === 'failed' });
      }
    }
    return bucketize(done.length > 0 ? done : finishes, BUCKET_MS, now);
  }, [timeline, finishes, now, id, ids.length, batch?.counts.completed, batch?.counts.failed]);

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
      <ThroughputChart buckets={buckets} bucketMs={BUCKET_MS} />
      <h2>Jobs ({ids.length})</h2>
      <JobList ids={ids} label={`Jobs of ${batch.name}`} />
    </div>
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
