import type { Template } from '../../core/model.ts';
import { type TemplateRow, toTemplate } from '../rows.ts';
import type { NewTemplate } from '../store.ts';
import type { PgConnection } from './connection.ts';

/** Saves a template; `onlyIfNew`: only if no template has its name (else null). */
export async function upsertTemplate(
  c: PgConnection,
  t: NewTemplate,
  onlyIfNew = false,
): Promise<Template | null> {
  return c.write(async (tx) => {
    const r = await tx.client.query<TemplateRow>(
      // As in the SQLite store: a schedule's last tick starts at now (no backfill), and
      // stays while the schedule is unchanged.
      `INSERT INTO templates (name, type, description, params, grid, source, created_at_ms, updated_at_ms,
         webhook_url, schedule, last_tick_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, CASE WHEN $9::text IS NULL THEN NULL ELSE $7::bigint END)
       ${onlyIfNew ? 'ON CONFLICT (name) DO NOTHING' : UPDATE_ON_CONFLICT}
       RETURNING *`,
      [
        t.name,
        t.type,
        t.description,
        JSON.stringify(t.params),
        t.grid === null ? null : JSON.stringify(t.grid),
        t.source,
        tx.nowMs,
        t.webhookUrl ?? null,
        t.schedule ?? null,
      ],
    );
    return r.rows[0] ? toTemplate(r.rows[0]) : null;
  });
}

const UPDATE_ON_CONFLICT = `ON CONFLICT (name) DO UPDATE SET type = excluded.type, description = excluded.description,
  params = excluded.params, grid = excluded.grid, source = excluded.source,
  updated_at_ms = excluded.updated_at_ms, webhook_url = excluded.webhook_url,
  schedule = excluded.schedule,
  last_tick_at_ms = CASE WHEN templates.schedule IS NOT DISTINCT FROM excluded.schedule
    THEN templates.last_tick_at_ms ELSE excluded.last_tick_at_ms END`;

export async function getTemplate(c: PgConnection, name: string): Promise<Template | null> {
  const [row] = await c.query<TemplateRow>('SELECT * FROM templates WHERE name = $1', [name]);
  return row ? toTemplate(row) : null;
}

export async function listTemplates(c: PgConnection): Promise<Template[]> {
  return (await c.query<TemplateRow>('SELECT * FROM templates ORDER BY name')).map(toTemplate);
}

export async function deleteTemplate(c: PgConnection, name: string): Promise<boolean> {
  return c.write(
    async (tx) =>
      (await tx.client.query('DELETE FROM templates WHERE name = $1', [name])).rowCount === 1,
  );
}
