/** `kiln batch create --file`: a batch's jobs from a JSON or CSV file. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../usage.ts';
import { looseValue } from './common.ts';

export interface FileJob {
  type: string;
  params: Record<string, unknown>;
  name?: string;
  priority?: number;
}

/**
 * JSON: an array of jobs `[{ type, params, name?, priority? }]`, or an object with a
 * `jobs` array (and any other batch fields: name, metadata, …).
 * CSV: a header row; the columns `type`, `name` and `priority` are the job's, every other
 * column is a param (read as JSON when it parses, else text; an empty cell is left out).
 * `defaultType` stands in for a missing `type` column.
 */
export function readJobsFile(
  path: string,
  defaultType: string | undefined,
): { jobs: FileJob[]; batch: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --file ${path}: ${(error as Error).message}`, 'batch');
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return { jobs: csvJobs(path, text, defaultType), batch: {} };
  if (ext !== '.json') {
    throw new UsageError(`--file must be a .json or .csv file, got \`${path}\``, 'batch');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`, 'batch');
  }
  const { jobs, ...batch } = Array.isArray(parsed)
    ? { jobs: parsed }
    : (parsed as { jobs?: unknown } & Record<string, unknown>);
  if (!Array.isArray(jobs) || jobs.length === 0) {
    throw new UsageError(
      `${path} holds no jobs: a JSON array, or an object with \`jobs\``,
      'batch',
    );
  }
  const typed = jobs.map((j: Record<string, unknown>) =>
    j.type === undefined && defaultType !== undefined ? { ...j, type: defaultType } : j,
  );
  return { jobs: typed as unknown as FileJob[], batch };
}

function csvJobs(path: string, text: string, defaultType: string | undefined): FileJob[] {
  const rows = parseCsv(text).filter((r) => r.some((cell) => cell !== ''));
  const header = rows.shift();
  if (!header || rows.length === 0) {
    throw new UsageError(`${path} needs a header row and at least one job row`, 'batch');
  }
  if (!header.includes('type') && defaultType === undefined) {
    throw new UsageError(`${path} has no \`type\` column; add one or pass --type`, 'batch');
  }
  return rows.map((row, i) => {
    const job: FileJob = { type: defaultType ?? '', params: {} };
    header.forEach((column, k) => {
      const cell = row[k] ?? '';
      if (cell === '') return;
      if (column === 'type') job.type = cell;
      else if (column === 'name') job.name = cell;
      else if (column === 'priority') {
        const n = Number(cell);
        if (!Number.isInteger(n)) {
          throw new UsageError(`${path} row ${i + 2}: priority must be an integer`, 'batch');
        }
        job.priority = n;
      } else job.params[column] = looseValue(cell);
    });
    if (job.type === '') throw new UsageError(`${path} row ${i + 2}: no type`, 'batch');
    return job;
  });
}

/** RFC 4180: commas, double quotes (a doubled quote inside is one), CRLF or LF rows. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.map((r) => r.map((v) => v.trim()));
}
