/** What a run's summary says it measured. */
import { execFileSync } from 'node:child_process';

/** The short hash of HEAD, marked when any of `paths` has uncommitted changes. */
export function commitOf(paths: string[]): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}
