/**
 * Loading the job definitions (and templates) a `kiln worker` or `kiln serve` runs: the
 * user's module given with --jobs, or Kiln's demo jobs.
 */
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyJobDefinition, TemplateDefinition } from '../index.ts';
import { UsageError } from './usage.ts';

// `.ts` when run from source, `.js` from the build (dist/src/cli): this module's extension.
const DEMO_JOBS = new URL(
  `../demo/index${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
).href;

export interface LoadedJobs {
  jobs: AnyJobDefinition[];
  templates: TemplateDefinition[];
  /** The module they came from. */
  url: string;
}

/**
 * Every job definition (and template) a module exports, alone or in arrays. `command`
 * names the subcommand for usage errors (a wrong path, a module without jobs).
 */
export async function loadJobs(
  specifier: string | undefined,
  command: string,
): Promise<LoadedJobs> {
  const url = specifier === undefined ? DEMO_JOBS : pathToFileURL(resolve(specifier)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (error) {
    const what = specifier === undefined ? 'the demo jobs' : `--jobs ${specifier}`;
    const message = `cannot load ${what}: ${error instanceof Error ? error.message : error}`;
    // A wrong path is a usage error; a module that throws while loading is a failure.
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
      throw new UsageError(message, command);
    throw new Error(message, { cause: error });
  }
  const jobs = new Map<string, AnyJobDefinition>();
  const templates = new Map<string, TemplateDefinition>();
  const add = (value: unknown) => {
    if (isKind<AnyJobDefinition>(value, 'kiln.job')) {
      const seen = jobs.get(value.type);
      if (seen && seen !== value)
        throw new UsageError(`${url} exports two job types named \`${value.type}\``, command);
      jobs.set(value.type, value);
    } else if (isKind<TemplateDefinition>(value, 'kiln.template')) templates.set(value.name, value);
  };
  for (const value of Object.values(mod)) {
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  if (jobs.size === 0)
    throw new UsageError(`${url} exports no job definitions (made with defineJob)`, command);
  return { jobs: [...jobs.values()], templates: [...templates.values()], url };
}

/** Definitions are recognised by their `kind` tag, so two copies of Kiln still agree. */
function isKind<T>(value: unknown, kind: string): value is T {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}

/** A positive integer option (`--concurrency 4`), or a usage error naming it. */
export function positiveInteger(name: string, raw: string, command: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got \`${raw}\``, command);
  return n;
}
