/**
 * `/batches/new`: a template or a job type; a form from the type's params JSON Schema
 * with inline errors; grid axes with a live preview of the jobs; priority, start time,
 * concurrency cap, webhook; save as a template. After a create: the batch's page.
 */
import { useEffect, useMemo, useState } from 'react';
import { useLocation } from 'wouter';
import { api, fieldIssues } from '../api/index.ts';
import type {
  CreateBatchRequest,
  CreateTemplateRequest,
  JobTypeBody,
  TemplateBody,
} from '../api/types.ts';
import { FormError } from '../components/form-error.tsx';
import {
  type Grid,
  gridSize,
  MAX_GRID_CELLS,
  previewJobs,
  readAxes,
} from '../forms/grid-preview.ts';
import { type Field, fieldsOf, type JsonSchema, readForm, toRaw } from '../forms/schema-fields.ts';
import { store } from '../live/store.ts';
import { ParamField } from './param-field.tsx';

const PREVIEW_ROWS = 200;

function axisRaw(field: Field | undefined, values: readonly unknown[]): string {
  return values
    .map((v) => (typeof v === 'string' && field?.kind !== 'enum' ? v : JSON.stringify(v)))
    .join(', ');
}

/** The grid as the request types it (mutable arrays). */
function wireGrid(grid: Grid): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(grid).map(([k, v]) => [k, [...v]]));
}

export function NewBatchView() {
  const [, navigate] = useLocation();
  const [types, setTypes] = useState<JobTypeBody[]>([]);
  const [templates, setTemplates] = useState<TemplateBody[]>([]);
  const [source, setSource] = useState<'template' | 'type'>('template');
  const [templateName, setTemplateName] = useState('');
  const [typeName, setTypeName] = useState('');
  const [raws, setRaws] = useState<Record<string, string | boolean>>({});
  const [axes, setAxes] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [priority, setPriority] = useState('');
  const [runAt, setRunAt] = useState('');
  const [concurrency, setConcurrency] = useState('');
  const [webhook, setWebhook] = useState('');
  const [saveName, setSaveName] = useState('');
  const [touched, setTouched] = useState(false);
  const [touchedKeys, setTouchedKeys] = useState<ReadonlySet<string>>(new Set());
  const touch = (key: string) => setTouchedKeys((t) => (t.has(key) ? t : new Set([...t, key])));
  const [serverIssues, setServerIssues] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.jobTypes().then((t) => {
      setTypes(t.items);
      setTypeName((n) => n || (t.items[0]?.type ?? ''));
    }, setFormError);
    api.templates().then((t) => {
      setTemplates(t.items);
      if (t.items.length === 0) setSource('type');
      setTemplateName((n) => n || (t.items[0]?.name ?? ''));
    }, setFormError);
  }, []);

  const template =
    source === 'template' ? templates.find((t) => t.name === templateName) : undefined;
  const type = types.find((t) => t.type === (template ? template.type : typeName));
  const fields = useMemo(
    () => fieldsOf(type?.paramsSchema as JsonSchema | null | undefined),
    [type],
  );

  // A new source fills the form: the schema's defaults, then the template's params and grid.
  // biome-ignore lint/correctness/useExhaustiveDependencies: refill only when the source changes
  useEffect(() => {
    const r: Record<string, string | boolean> = {};
    for (const f of fields)
      r[f.key] =
        template && f.key in template.params ? toRaw(f.kind, template.params[f.key]) : f.initial;
    setRaws(r);
    const a: Record<string, string> = {};
    for (const [k, v] of Object.entries(template?.grid ?? {}))
      a[k] = axisRaw(
        fields.find((f) => f.key === k),
        v,
      );
    setAxes(a);
    setTouched(false);
    setTouchedKeys(new Set());
    setServerIssues({});
    setFormError(undefined);
  }, [fields, template?.name, source]);

  const { grid, errors: axisErrors } = readAxes(fields, axes);
  const axisKeys = new Set(Object.keys(grid));
  const { params, errors } = readForm(fields, raws, axisKeys);
  const count = gridSize(grid);
  const gridKey = JSON.stringify(grid);
  const paramsKey = JSON.stringify(params);
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by content, not identity
  const preview = useMemo(
    () => (count > MAX_GRID_CELLS ? null : previewJobs(grid, params, {})),
    [gridKey, paramsKey, count],
  );
  // A field's own error shows once it was changed or left, or after a submit.
  const shown = Object.fromEntries(
    Object.entries(errors).filter(([k]) => touched || touchedKeys.has(k)),
  );
  const fieldErrors: Record<string, string> = {
    ...serverIssues,
    ...shown,
    ...axisErrors,
  };

  const batchOptions = (): CreateBatchRequest => {
    const body: CreateBatchRequest = {};
    if (name.trim()) body.name = name.trim();
    if (priority.trim()) body.priority = Number(priority);
    if (runAt) body.runAt = new Date(runAt).toISOString();
    if (concurrency.trim()) body.concurrency = Number(concurrency);
    if (webhook.trim()) body.webhook = { url: webhook.trim() };
    return body;
  };

  const valid = () => {
    setTouched(true);
    setServerIssues({});
    setFormError(undefined);
    setSaved(undefined);
    return (
      Object.keys(errors).length === 0 && Object.keys(axisErrors).length === 0 && type !== undefined
    );
  };

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!valid()) return;
    const body = batchOptions();
    if (template) {
      body.template = template.name;
      body.params = params;
      body.grid = wireGrid(grid);
    } else {
      body.jobs = (preview ?? []).map((j) =>
        j.name
          ? { type: type!.type, params: j.params, name: j.name }
          : { type: type!.type, params: j.params },
      );
    }
    setBusy(true);
    try {
      const batch = await api.createBatch(body);
      store.putBatch(batch);
      navigate(`/batches/${batch.id}`);
    } catch (error) {
      setFormError(error);
      setServerIssues(fieldIssues(error));
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    if (!valid()) return;
    const body: CreateTemplateRequest = { name: saveName.trim(), type: type!.type, params };
    if (Object.keys(grid).length > 0) body.grid = wireGrid(grid);
    if (webhook.trim()) body.webhook = { url: webhook.trim() };
    try {
      const t = await api.createTemplate(body);
      setTemplates((list) => [...list, t]);
      setSaved(`Saved as template “${t.name}”.`);
    } catch (error) {
      setFormError(error);
      setServerIssues(fieldIssues(error));
    }
  };

  return (
    <div className="view">
      <h1>New batch</h1>
      <form onSubmit={create} noValidate className="new-batch">
        <fieldset className="source">
          <legend>Start from</legend>
          <label>
            <input
              type="radio"
              name="source"
              data-testid="source-template"
              checked={source === 'template'}
              onChange={() => setSource('template')}
              disabled={templates.length === 0}
            />{' '}
            a template
          </label>
          <label>
            <input
              type="radio"
              name="source"
              data-testid="source-type"
              checked={source === 'type'}
              onChange={() => setSource('type')}
            />{' '}
            a job type
          </label>
          {source === 'template' ? (
            <label>
              Template{' '}
              <select
                data-testid="template-select"
                value={templateName}
                onChange={(e) => setTemplateName(e.target.value)}
              >
                {templates.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name} ({t.type})
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <label>
              Job type{' '}
              <select
                data-testid="job-type-select"
                value={typeName}
                onChange={(e) => setTypeName(e.target.value)}
              >
                {types.map((t) => (
                  <option key={t.type} value={t.type}>
                    {t.type}
                  </option>
                ))}
              </select>
            </label>
          )}
          {template?.description || type?.description ? (
            <p className="muted">{template?.description ?? type?.description}</p>
          ) : null}
        </fieldset>

        <fieldset>
          <legend>Params {type ? `of ${type.type}` : ''}</legend>
          {type && type.paramsSchema === null ? (
            <p className="muted">This type does not describe its params; they are sent as given.</p>
          ) : null}
          {fields.map((f) => (
            <ParamField
              key={f.key}
              field={f}
              raw={raws[f.key] ?? f.initial}
              axis={axes[f.key] ?? ''}
              error={fieldErrors[f.key]}
              onChange={(v) => {
                setRaws((r) => ({ ...r, [f.key]: v }));
                touch(f.key);
                setServerIssues(({ [f.key]: _, ...rest }) => rest);
              }}
              onTouch={() => touch(f.key)}
              onAxis={(v) => setAxes((a) => ({ ...a, [f.key]: v }))}
            />
          ))}
        </fieldset>

        <fieldset>
          <legend>
            Jobs it will create: <span data-testid="grid-preview-count">{count}</span>
          </legend>
          <ol className="grid-preview" data-testid="grid-preview">
            {preview === null ? (
              <li>Over the limit of {MAX_GRID_CELLS} jobs.</li>
            ) : (
              preview.slice(0, PREVIEW_ROWS).map((j, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the preview is positional (names may repeat)
                <li key={i} data-testid="grid-preview-row">
                  {j.name || (template?.name ?? type?.type ?? 'job')}
                </li>
              ))
            )}
          </ol>
          {preview && preview.length > PREVIEW_ROWS ? (
            <p className="muted">…and {preview.length - PREVIEW_ROWS} more.</p>
          ) : null}
        </fieldset>

        <fieldset className="batch-options">
          <legend>Batch</legend>
          <label>
            Name{' '}
            <input
              data-testid="batch-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder={template?.name ?? 'optional'}
            />
          </label>
          <label>
            Priority{' '}
            <input
              data-testid="batch-priority"
              type="number"
              step={1}
              value={priority}
              onChange={(e) => setPriority(e.target.value)}
              placeholder="0"
            />
          </label>
          <label>
            Start at{' '}
            <input
              data-testid="batch-run-at"
              type="datetime-local"
              value={runAt}
              onChange={(e) => setRunAt(e.target.value)}
            />
          </label>
          <label>
            Concurrency cap{' '}
            <input
              data-testid="batch-concurrency"
              type="number"
              min={1}
              step={1}
              value={concurrency}
              onChange={(e) => setConcurrency(e.target.value)}
              placeholder="no cap"
            />
          </label>
          <label>
            Completion webhook{' '}
            <input
              data-testid="batch-webhook"
              type="url"
              value={webhook}
              onChange={(e) => setWebhook(e.target.value)}
              placeholder="https://…"
            />
          </label>
        </fieldset>

        <FormError error={formError} />
        {saved ? <p role="status">{saved}</p> : null}
        <div className="actions">
          <button type="submit" className="primary" data-testid="create-batch" disabled={busy}>
            Create batch
          </button>
          <label>
            Template name{' '}
            <input
              data-testid="save-template-name"
              value={saveName}
              onChange={(e) => setSaveName(e.target.value)}
            />
          </label>
          <button
            type="button"
            data-testid="save-template"
            disabled={saveName.trim() === ''}
            onClick={save}
          >
            Save as template
          </button>
        </div>
      </form>
    </div>
  );
}
