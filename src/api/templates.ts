import { checkOptionNames, KilnError } from '../core/errors.ts';
import { expandGrid, type Grid } from '../core/grid.ts';
import type { Template } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import type { JobTypes } from './job-types.ts';

/** `kiln.templates`: presets saved in the store (code-defined ones are written on open). */
export function templatesApi(store: Store, types: JobTypes) {
  return {
    save: async (t: {
      name: string;
      type: string;
      description?: string;
      params?: Record<string, unknown>;
      grid?: Grid;
    }): Promise<Template> => {
      checkOptionNames('templates.save', t, ['name', 'type', 'description', 'params', 'grid']);
      if (typeof t.name !== 'string' || !/^[\w .:-]{1,100}$/.test(t.name)) {
        throw new KilnError(
          'INVALID_ARGUMENT',
          'template name must be 1-100 letters, digits, spaces or . _ : -',
        );
      }
      types.get(t.type);
      if (t.grid) expandGrid(t.grid);
      return store.upsertTemplate({
        name: t.name,
        type: t.type,
        description: t.description ?? null,
        params: t.params ?? {},
        grid: t.grid ?? null,
        source: 'store',
      });
    },
    get: async (name: string): Promise<Template | null> => store.getTemplate(name),
    list: async (): Promise<Template[]> => store.listTemplates(),
    delete: async (name: string): Promise<boolean> => store.deleteTemplate(name),
  };
}
