/** `/`: active batches first (live aggregate progress), history below, searchable and filterable. */
import { useEffect, useState } from 'react';
import { BatchRow } from '../components/batch-row.tsx';
import { FormError } from '../components/form-error.tsx';
import { useBatches } from '../live/hooks.ts';
import { loadBatches, matchesBatch } from './load.ts';

const ACTIVE = new Set(['pending', 'running', 'paused']);
const STATES = ['', 'pending', 'running', 'paused', 'completed', 'failed', 'cancelled'];

export function BatchesView() {
  const [q, setQ] = useState('');
  const [state, setState] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const all = useBatches();

  useEffect(() => {
    const t = setTimeout(() => {
      loadBatches({ q, state }).then(setCursor, setError);
    }, 150);
    return () => clearTimeout(t);
  }, [q, state]);

  const filter = { q, state };
  const active = all.filter((b) => ACTIVE.has(b.state));
  const history = all.filter((b) => !ACTIVE.has(b.state) && matchesBatch(b, filter));
  const activeShown = active.filter((b) => matchesBatch(b, filter));
  return (
    <div className="view">
      <h1>Batches</h1>
      <FormError error={error} />
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search{' '}
          <input
            type="search"
            data-testid="batch-search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="batch name"
          />
        </label>
        <label>
          State{' '}
          <select
            data-testid="batch-state-filter"
            value={state}
            onChange={(e) => setState(e.target.value)}
          >
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'any' : s}
              </option>
            ))}
          </select>
        </label>
      </form>
      <section data-testid="batches-active" aria-labelledby="active-h">
        <h2 id="active-h">Active</h2>
        {activeShown.length === 0 ? <p className="muted">No active batch.</p> : null}
        <ul className="batch-list">
          {activeShown.map((b) => (
            <BatchRow key={b.id} id={b.id} />
          ))}
        </ul>
      </section>
      <section data-testid="batches-history" aria-labelledby="history-h">
        <h2 id="history-h">History</h2>
        {history.length === 0 ? <p className="muted">Nothing here yet.</p> : null}
        <ul className="batch-list">
          {history.map((b) => (
            <BatchRow key={b.id} id={b.id} />
          ))}
        </ul>
        {cursor ? (
          <button
            type="button"
            onClick={() => loadBatches(filter, cursor).then(setCursor, setError)}
          >
            Load more
          </button>
        ) : null}
      </section>
    </div>
  );
}
