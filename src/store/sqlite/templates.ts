import type { Template } from '../../core/model.ts';
import { type TemplateRow, toTemplate } from '../rows.ts';
import type { NewTemplate } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

/** Saves a template; `onlyIfNew`: only if no template has its name (else null). */
export function upsertTemplate(
  c: SqliteConnection,
  t: NewTemplate,
  onlyIfNew: true,
): Template | null;
export function upsertTemplate(c: SqliteConnection, t: NewTemplate, onlyIfNew?: false): Template;
export function upsertTemplate(
  c: SqliteConnection,
  t: NewTemplate,
  onlyIfNew = false,
): Template | null {
  return c.write((tx) => {
    const row = c.get<TemplateRow>(
      // A schedule's last tick starts at now (no backfill), and stays while the schedule
      // is unchanged (code templates are written again by every process that opens).
      `INSERT INTO templates (name, type, description, params, grid, source, created_at_ms, updated_at_ms,
           webhook_url, schedule, last_tick_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ${onlyIfNew ? 'ON CONFLICT (name) DO NOTHING' : UPDATE_ON_CONFLICT}
         RETURNING *`,
      t.name,
      t.type,
      t.description,
      JSON.stringify(t.params),
      t.grid === null ? null : JSON.stringify(t.grid),
      t.source,
      tx.nowMs,
      tx.nowMs,
      t.webhookUrl ?? null,
      t.schedule ?? null,
      t.schedule ? tx.nowMs : null,
    );
    return row ? toTemplate(row) : null;
  });
}

const UPDATE_ON_CONFLICT = `ON CONFLICT (name) DO UPDATE SET type = excluded.type, description = excluded.description,
  params = excluded.params, grid = excluded.grid, source = excluded.source, updated_at_ms = excluded.updated_at_ms,
  webhook_url = excluded.webhook_url, schedule = excluded.schedule,
  last_tick_at_ms = CASE WHEN templates.schedule IS excluded.schedule
    THEN templates.last_tick_at_ms ELSE excluded.last_tick_at_ms END`;

export function getTemplate(c: SqliteConnection, name: string): Template | null {
  const row = c.get<TemplateRow>('SELECT * FROM templates WHERE name = ?', name);
  return row ? toTemplate(row) : null;
}

export function listTemplates(c: SqliteConnection): Template[] {
  return c.all<TemplateRow>('SELECT * FROM templates ORDER BY name').map(toTemplate);
}

export function deleteTemplate(c: SqliteConnection, name: string): boolean {
  return c.write(() => c.run('DELETE FROM templates WHERE name = ?', name) === 1);
}
