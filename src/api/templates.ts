import { checkOptionNames, KilnError } from '../core/errors.ts';
import { expandGrid, type Grid } from '../core/grid.ts';
import type { Template } from '../core/model.ts';
import { checkSchedule, scheduleText } from '../schedules/schedule.ts';
import type { Store } from '../store/store.ts';
import { checkWebhookOption } from '../webhooks/target.ts';
import type { JobTypes } from './job-types.ts';

/** `kiln.templates`: presets saved in the store (code-defined ones are written on open). */
export function templatesApi(
  store: Store,
  types: JobTypes,
  options: {
    allowPrivateWebhooks: boolean;
    /** Called after a template changed (the scheduler of this process looks again). */
    changed: () => void;
  },
) {
  type TemplateInput = {
    name: string;
    type: string;
    description?: string;
    params?: Record<string, unknown>;
    grid?: Grid;
    /** Batches made from the template POST their end here (unless they name their own). */
    webhook?: { url: string };
    /** A cron schedule: each tick creates a batch from the template (src/schedules). */
    schedule?: { cron: string; timezone?: string; missed?: 'run-once' | 'skip' };
  };
  /** The row to store, every field checked. */
  const checked = (t: TemplateInput) => {
    checkOptionNames('templates.save', t, [
      'name',
      'type',
      'description',
      'params',
      'grid',
      'webhook',
      'schedule',
    ]);
    if (typeof t.name !== 'string' || !/^[\w .:-]{1,100}$/.test(t.name)) {
      throw new KilnError(
        'INVALID_ARGUMENT',
        'template name must be 1-100 letters, digits, spaces or . _ : -',
      );
    }
    types.get(t.type);
    if (t.grid) expandGrid(t.grid);
    const webhookUrl = checkWebhookOption(t.webhook, options.allowPrivateWebhooks);
    const schedule = t.schedule === undefined ? null : checkSchedule(t.schedule);
    return {
      name: t.name,
      type: t.type,
      description: t.description ?? null,
      params: t.params ?? {},
      grid: t.grid ?? null,
      source: 'store' as const,
      webhookUrl,
      schedule: schedule === null ? null : scheduleText(schedule),
    };
  };
  return {
    /** Creates or replaces a template. */
    save: async (t: TemplateInput): Promise<Template> => {
      const saved = await store.upsertTemplate(checked(t));
      options.changed();
      return saved;
    },
    /** Creates a template; TEMPLATE_EXISTS if one has the name (checked in the store). */
    create: async (t: TemplateInput): Promise<Template> => {
      const created = await store.insertTemplate(checked(t));
      if (created === null) {
        throw new KilnError(
          'TEMPLATE_EXISTS',
          `a template named \`${t.name}\` exists already; saving (PUT) replaces it`,
        );
      }
      options.changed();
      return created;
    },
    get: async (name: string): Promise<Template | null> => store.getTemplate(name),
    list: async (): Promise<Template[]> => store.listTemplates(),
    delete: async (name: string): Promise<boolean> => {
      const deleted = await store.deleteTemplate(name);
      options.changed();
      return deleted;
    },
  };
}
