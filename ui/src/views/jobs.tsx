/** `/jobs`: every job, filtered by state, type and batch (kept in the URL), paged with the API's cursors. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { api } from '../api/index.ts';
import type { JobBody } from '../api/types.ts';
import { FormError } from '../components/form-error.tsx';
import { JobList } from '../components/job-list.tsx';
import { readSynced } from '../live/connection.ts';
import { useNewJobIds } from '../live/hooks.ts';
import { store } from '../live/store.ts';

const STATES = ['', 'pending', 'running', 'completed', 'failed', 'cancelled'];

export function JobsView() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const state = params.get('state') ?? '';
  const type = params.get('type') ?? '';
  const batchId = params.get('batchId') ?? '';
  const [types, setTypes] = useState<string[]>([]);
  const [ids, setIds] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [batchInput, setBatchInput] = useState(batchId);
  // When the first page was asked for: jobs created since come from the stream, on top.
  const [readFrom, setReadFrom] = useState<{ mark: number; ms: number } | null>(null);

  useEffect(() => {
    api.jobTypes().then(
      (t) => setTypes(t.items.map((x) => x.type)),
      () => {},
    );
  }, []);

  const readPage = async (from: string | null) => {
    const page = await api.jobs({ state, type, batchId, cursor: from, limit: 200 });
    for (const j of page.items) store.putJob(j);
    return page;
  };
  const load = async (from: string | null) => {
    setError(undefined);
    // A little before the request: a job created while it was answered is in the page or
    // (not yet in it) taken from the stream; one in both is shown once.
    if (from === null) setReadFrom({ mark: store.jobsSeen(), ms: Date.now() - 1_000 });
    const page = await readPage(from);
    setIds((old) =>
      from === null ? page.items.map((j) => j.id) : [...old, ...page.items.map((j) => j.id)],
    );
    setCursor(page.nextCursor);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: load reads the same filters
  useEffect(() => {
    // Read again into the store (not the list, which Load more may have grown) once the
    // stream has started: live/connection.ts readSynced.
    readSynced(
      () => load(null),
      async () => {
        await readPage(null);
      },
    ).catch(setError);
  }, [state, type, batchId]);

  const known = useMemo(() => new Set(ids), [ids]);
  const matches = useCallback(
    (j: JobBody) =>
      (state === '' || j.state === state) &&
      (type === '' || j.type === type) &&
      (batchId === '' || j.batchId === batchId),
    [state, type, batchId],
  );
  const fresh = useNewJobIds(readFrom, known, matches);
  const shown = useMemo(() => (fresh.length === 0 ? ids : [...fresh, ...ids]), [fresh, ids]);

  const set = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value === '') next.delete(key);
    else next.set(key, value);
    const s = next.toString();
    navigate(s === '' ? '/jobs' : `/jobs?${s}`);
  };

  return (
    <div className="view">
      <h1>Jobs</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          set('batchId', batchInput.trim());
        }}
      >
        <label>
          State{' '}
          <select
            data-testid="jobs-state-filter"
            value={state}
            onChange={(e) => set('state', e.target.value)}
          >
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'any' : s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type{' '}
          <select
            data-testid="jobs-type-filter"
            value={type}
            onChange={(e) => set('type', e.target.value)}
          >
            <option value="">any</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Batch{' '}
          <input
            data-testid="jobs-batch-filter"
            value={batchInput}
            placeholder="batch id"
            onChange={(e) => setBatchInput(e.target.value)}
            onBlur={() => set('batchId', batchInput.trim())}
          />
        </label>
        <button type="submit">Apply</button>
      </form>
      <FormError error={error} />
      <p className="muted">{shown.length} shown</p>
      <JobList ids={shown} showBatch label="Jobs" />
      {cursor ? (
        <button type="button" onClick={() => load(cursor).catch(setError)}>
          Load more
        </button>
      ) : null}
    </div>
  );
}
