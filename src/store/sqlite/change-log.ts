/**
 * The job change log: which job rows each write transaction changed, as runs of rowids
 * (table `job_changes`, migration 3). The feed reads it to find the rows changed after a
 * position; the rows themselves stay the truth (a row is in the feed at its
 * `updated_seq`, so an entry whose rows changed again later yields nothing).
 */

/** The rows one transaction changed: single rowids, and runs of inserted rowids. */
export class ChangedRows {
  private readonly rows: number[] = [];
  private readonly runs: [number, number][] = [];

  get empty(): boolean {
    return this.rows.length === 0 && this.runs.length === 0;
  }

  add(rid: number): void {
    this.rows.push(rid);
  }

  addRun(first: number, last: number): void {
    if (first <= last) this.runs.push([first, last]);
  }

  /** Sorted, merged runs: a turn's claims and completions become a few entries. */
  toRuns(): [number, number][] {
    // Numeric sort of a typed array: the worker calls this on every turn.
    const rows = Float64Array.from(this.rows).sort();
    const all: [number, number][] = this.runs.slice();
    if (all.length > 0) all.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    const add = (first: number, last: number) => {
      const top = merged[merged.length - 1];
      if (top && first <= top[1] + 1) top[1] = Math.max(top[1], last);
      else merged.push([first, last]);
    };
    // Merge the two sorted lists.
    let i = 0;
    let j = 0;
    while (i < rows.length || j < all.length) {
      if (j >= all.length || (i < rows.length && rows[i]! < all[j]![0])) {
        add(rows[i]!, rows[i]!);
        i++;
      } else {
        add(all[j]![0], all[j]![1]);
        j++;
      }
    }
    return merged;
  }
}

export const INSERT_CHANGE = 'INSERT INTO job_changes (seq, first_rid, last_rid) VALUES (?, ?, ?)';

/**
 * One chunk of the log after a position (seq, first_rid), in order, each entry marked
 * dead when none of its rows is still at that seq (changed again since, or deleted).
 */
export const CHANGES_AFTER = `SELECT c.seq, c.first_rid,
  NOT EXISTS (SELECT 1 FROM jobs j WHERE j.rid BETWEEN c.first_rid AND c.last_rid AND +j.updated_seq = c.seq) AS dead
  FROM job_changes c WHERE (c.seq, c.first_rid) > (?, ?) ORDER BY c.seq, c.first_rid LIMIT ?`;

export const DELETE_CHANGE = 'DELETE FROM job_changes WHERE seq = ? AND first_rid = ?';
