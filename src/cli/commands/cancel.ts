import { actionHelp, jobOrBatchAction } from './action-help.ts';

const HELP = actionHelp(
  'cancel <job-or-batch-id>',
  'Cancels a pending or running job (a running handler is signalled), or every\nunfinished job of a batch.',
);

export const cancel = jobOrBatchAction('cancel', HELP, 'cancel');
