/**
 * Before the browser tests: build the dashboard (`npm run build:ui`) when dist/ui is
 * missing or older than any file under ui/, so a test never runs against a stale bundle.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from './chromium.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const UI = join(ROOT, 'ui');
const BUILT = join(ROOT, 'dist', 'ui', 'index.html');

/** The newest modification time of any file under `dir` (node_modules left out). */
function newest(dir: string): number {
  let latest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(entry.parentPath ?? dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export function uiIsStale(): boolean {
  if (!existsSync(UI)) return false;
  return !existsSync(BUILT) || statSync(BUILT).mtimeMs < newest(UI);
}

export default function setup(): void {
  // Without a browser the tests skip (or, in CI, fail on that alone): nothing to build for.
  if (!existsSync(CHROMIUM) && process.env.CI !== 'true') return;
  if (!uiIsStale()) return;
  // npm puts node_modules/.bin (Node 24) first on PATH for the script.
  const built = spawnSync('npm', ['run', '--silent', 'build:ui'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 120_000,
  });
  if (built.status !== 0)
    throw new Error(`npm run build:ui failed (${built.error ?? `exit ${built.status}`})`);
  if (!existsSync(BUILT)) throw new Error(`npm run build:ui did not write ${dirname(BUILT)}`);
}
