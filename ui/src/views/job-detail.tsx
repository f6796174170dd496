/** `/jobs/:id`: live progress and heartbeat, attempts, the live log, error, result, artifacts. */
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api, artifactUrl } from '../api/index.ts';
import type { ArtifactInfoBody, AttemptBody, LogEntryBody } from '../api/types.ts';
import { FormError } from '../components/form-error.tsx';
import { HeartbeatAge } from '../components/heartbeat-age.tsx';
import { JsonViewer } from '../components/json-viewer.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { StatusIcon } from '../components/status-icon.tsx';
import { bytes, clock } from '../format/time.ts';
import { readSynced } from '../live/connection.ts';
import { useJob } from '../live/hooks.ts';
import { store } from '../live/store.ts';
import { ArtifactPreview } from './artifact-preview.tsx';

const LOG_POLL_MS = 1_000;

export function JobDetailView({ id }: { id: string }) {
  const job = useJob(id);
  const [error, setError] = useState<unknown>();
  /** The last failed read of the attempts or artifacts (cleared by the next good one). */
  const [readError, setReadError] = useState<unknown>();
  const [logs, setLogs] = useState<LogEntryBody[]>([]);
  const [attempts, setAttempts] = useState<AttemptBody[]>([]);
  const [artifacts, setArtifacts] = useState<ArtifactInfoBody[]>([]);
  const [open, setOpen] = useState<string>();
  const lastLog = useRef(0);

  useEffect(() => {
    lastLog.current = 0;
    setLogs([]);
    readSynced(async () => {
      store.putJob(await api.job(id));
    }).catch(setError);
  }, [id]);

  // The log is not on the event stream: read after the last line seen, while the job runs
  // and once more each time the job changes.
  const running = job?.state === 'running' || job?.state === 'pending';
  const seq = job?.seq;
  // biome-ignore lint/correctness/useExhaustiveDependencies: seq re-reads on every change of the job
  useEffect(() => {
    let stop = false;
    const read = async () => {
      const page = await api.logs(id, lastLog.current);
      if (stop || page.items.length === 0) return;
      lastLog.current = page.items.at(-1)!.id;
      setLogs((l) => [...l, ...page.items]);
    };
    read().catch(() => {});
    const t = running ? setInterval(() => read().catch(() => {}), LOG_POLL_MS) : undefined;
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [id, running, seq]);

  const state = job?.state;
  const attempt = job?.attempt;
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read when the state or attempt moves
  useEffect(() => {
    if (!job) return;
    let stop = false;
    Promise.all([api.attempts(id), api.artifacts(id)]).then(
      ([a, files]) => {
        if (stop) return;
        setAttempts(a.items);
        setArtifacts(files.items);
        setReadError(undefined);
      },
      (e) => {
        if (!stop) setReadError(e);
      },
    );
    return () => {
      stop = true;
    };
  }, [id, state, attempt, job === undefined, logs.length]);

  const act = async (action: 'cancel' | 'retry') => {
    setError(undefined);
    try {
      store.putJob(await api.jobAction(id, action));
    } catch (e) {
      setError(e);
    }
  };

  if (!job) {
    return (
      <div className="view">
        <FormError error={error} />
        <p className="muted">Loading job…</p>
      </div>
    );
  }
  const terminal = job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled';
  return (
    <div
      className="view"
      data-testid="job-detail"
      data-state={job.state}
      data-attempt={job.attempt}
    >
      <h1>
        <StatusIcon state={job.state} /> {job.name ?? job.type}{' '}
        <span className={`badge badge-${job.state}`}>{job.state}</span>
      </h1>
      <p className="muted">
        {job.type} · attempt {job.attempt}/{job.maxAttempts}
        {job.batchId ? (
          <>
            {' '}
            · <Link href={`/batches/${job.batchId}`}>its batch</Link>
          </>
        ) : null}{' '}
        · created {clock(job.createdAt)}
      </p>
      <ProgressBar
        value={job.state === 'completed' ? 1 : job.progress}
        label="Job progress"
        testId="job-progress"
        state={job.state}
      />
      <p>
        <span data-testid="job-message">{job.progressMessage ?? ''}</span> · heartbeat{' '}
        <HeartbeatAge at={job.heartbeatAt} />
      </p>
      <div className="actions">
        <button
          type="button"
          data-testid="action-cancel"
          disabled={terminal}
          onClick={() => act('cancel')}
        >
          Cancel
        </button>
        <button
          type="button"
          data-testid="action-retry"
          disabled={job.state !== 'failed' && job.state !== 'cancelled'}
          onClick={() => act('retry')}
        >
          Retry
        </button>
      </div>
      <FormError error={error} />
      <FormError error={readError} />
      {job.error ? (
        <section data-testid="job-error" className="job-error">
          <h2>Error</h2>
          <p>
            {job.error.code ? <code>{job.error.code}</code> : null} {job.error.message}
          </p>
          {job.error.stack ? <pre>{job.error.stack}</pre> : null}
        </section>
      ) : null}
      <section data-testid="job-attempts">
        <h2>Attempts</h2>
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>State</th>
              <th>Started</th>
              <th>Finished</th>
              <th>Worker</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr key={a.attempt} data-testid="attempt-row">
                <td>{a.attempt}</td>
                <td>{a.state}</td>
                <td>{clock(a.startedAt)}</td>
                <td>{clock(a.finishedAt)}</td>
                <td>{a.leaseOwner ?? '—'}</td>
                <td>{a.error?.message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Log</h2>
        {logs.length === 0 ? <p className="muted">No log lines yet.</p> : null}
        <ol className="log" data-testid="job-log" aria-live="polite">
          {logs.map((l) => (
            <li key={l.id} data-testid="log-line" className={`log-${l.level}`}>
              <time dateTime={l.at}>{new Date(l.at).toLocaleTimeString()}</time>{' '}
              <span className="log-attempt">#{l.attempt}</span>{' '}
              <span className="log-level">{l.level}</span> {l.message}
              {l.fields ? <code className="log-fields"> {JSON.stringify(l.fields)}</code> : null}
            </li>
          ))}
        </ol>
      </section>
      <section data-testid="job-result">
        <h2>Result</h2>
        {job.result === null || job.result === undefined ? (
          <p className="muted">No result yet.</p>
        ) : (
          <JsonViewer value={job.result} />
        )}
      </section>
      <section>
        <h2>Artifacts</h2>
        {artifacts.length === 0 ? <p className="muted">None.</p> : null}
        <ul className="artifacts">
          {artifacts.map((a) => (
            <li key={a.name} data-testid="artifact-row" data-name={a.name}>
              <span className="artifact-name">{a.name}</span>{' '}
              <span className="muted">{bytes(a.sizeBytes)}</span>{' '}
              <a
                data-testid="artifact-download"
                href={artifactUrl(a.jobId, a.name)}
                download={a.name}
              >
                Download
              </a>{' '}
              <button
                type="button"
                data-testid="artifact-preview"
                aria-expanded={open === a.name}
                onClick={() => setOpen(open === a.name ? undefined : a.name)}
              >
                {open === a.name ? 'Hide preview' : 'Preview'}
              </button>
              {open === a.name ? <ArtifactPreview artifact={a} /> : null}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
