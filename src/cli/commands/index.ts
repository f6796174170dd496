/**
 * The `kiln` commands that talk to a server over HTTP (src/cli/client): bin/kiln.ts
 * loads this module when one of them runs, and its help text from help.ts.
 */
import { batch } from './batch.ts';
import { cancel } from './cancel.ts';
import { exportBatch } from './export.ts';
import { list } from './list.ts';
import { pause } from './pause.ts';
import { prune } from './prune.ts';
import { resume } from './resume.ts';
import { retry } from './retry.ts';
import { status } from './status.ts';
import { submit } from './submit.ts';
import { watch } from './watch.ts';

export const clientCommands: Record<string, (args: string[]) => Promise<void>> = {
  submit,
  batch,
  status,
  list,
  watch,
  cancel,
  pause,
  resume,
  retry,
  export: exportBatch,
  prune,
};
