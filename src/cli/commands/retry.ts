import { actionHelp, jobOrBatchAction } from './action-help.ts';

const HELP = actionHelp(
  'retry <job-or-batch-id>',
  'Retries a failed or cancelled job with a fresh attempt budget, or every failed\njob of a batch.',
);

export const retry = jobOrBatchAction('retry', HELP, 'retry-failed');
