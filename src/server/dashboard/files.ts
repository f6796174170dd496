/**
 * Where the built dashboard lives: `dist/ui` under the package root, found by walking up
 * from this module to the nearest package.json. That is the same folder whether Kiln runs
 * from source (src/server/dashboard/) or from the compiled build (dist/src/server/dashboard/).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
}

export const DEFAULT_UI_DIR = join(packageRoot(), 'dist', 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * A file under `root` by its URL path, or null. The path is resolved and must stay
 * inside `root` (the dot-segment middleware refuses `..` before this, this is the second
 * fence).
 */
export async function readUnder(root: string, urlPath: string): Promise<Buffer | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = resolve(root, `.${decoded}`);
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  try {
    return await readFile(full);
  } catch {
    return null;
  }
}
