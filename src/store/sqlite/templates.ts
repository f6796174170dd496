import type { Template } from '../../core/model.ts';
import { type TemplateRow, toTemplate } from '../rows.ts';
import type { NewTemplate } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export function upsertTemplate(c: SqliteConnection, t: NewTemplate): Template {
  return c.write((tx) =>
    toTemplate(
      c.get<TemplateRow>(
        `INSERT INTO templates (name, type, description, params, grid, source, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET type = excluded.type, description = excluded.description,
           params = excluded.params, grid = excluded.grid, source = excluded.source, updated_at_ms = excluded.updated_at_ms
         RETURNING *`,
        t.name,
        t.type,
        t.description,
        JSON.stringify(t.params),
        t.grid === null ? null : JSON.stringify(t.grid),
        t.source,
        tx.nowMs,
        tx.nowMs,
      )!,
    ),
  );
}

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
