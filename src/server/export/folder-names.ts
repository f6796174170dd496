/**
 * Folder names inside the export ZIP: one per job that wrote artifacts, from the job's
 * name (or its id), safe as a file name on every common file system and unique within
 * the archive. Uniqueness is case-insensitive: the archive may be unpacked on macOS or
 * Windows, where `Report` and `report` are one folder.
 */

/** Letters and digits of any script, and punctuation that no common file system forbids. */
const UNSAFE = /[^\p{L}\p{N} ._=,+@()-]+/gu;
/** Names Windows reserves for devices, with or without an extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;
const MAX_LENGTH = 100;

/** A job name as a single safe path segment, or null when nothing usable is left. */
export function safeSegment(name: string | null): string | null {
  if (name === null) return null;
  let s = name.normalize('NFC').replace(UNSAFE, '_').slice(0, MAX_LENGTH);
  // Leading or trailing dots and spaces: hidden files, or dropped by Windows.
  s = s.replace(/^[. ]+|[. ]+$/g, '');
  if (s === '' || /^_+$/.test(s)) return null;
  return RESERVED.test(s) ? `_${s}` : s;
}

/**
 * Hands out folder names for the export of one batch. It remembers the names given so
 * far: one short string per job with artifacts, the only per-job state of an export.
 */
export class FolderNames {
  private readonly used = new Set<string>();

  take(job: { id: string; name: string | null }): string {
    const base = safeSegment(job.name) ?? job.id;
    // A safe segment never holds `~`, so `<base>~<id>` collides with no plain name, and
    // with no other suffixed one: ids are unique.
    const name = this.used.has(base.toLowerCase()) ? `${base}~${job.id}` : base;
    this.used.add(name.toLowerCase());
    return name;
  }
}
