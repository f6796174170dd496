/** The client commands' help, apart from their code: `kiln --help` loads no command. */

export const CLIENT_COMMAND_NAMES = [
  'submit',
  'batch',
  'status',
  'list',
  'watch',
  'cancel',
  'pause',
  'resume',
  'retry',
  'export',
  'prune',
] as const;

/** The client commands' part of `kiln --help`. */
export const CLIENT_HELP = `Client commands (talk to a server: --url or KILN_URL, default http://127.0.0.1:7300;
--token or KILN_TOKEN):
  submit    Enqueue one job: kiln submit <type> --param key=value …
  batch     Create a batch: kiln batch create --template <name> [--axis k=a,b] | --file f
  status    Show a job or a batch
  list      List jobs (filters: --state, --type, --batch) or batches
  watch     Follow a batch or a job live until it ends (progress bars in a terminal)
  cancel    Cancel a job, or a batch's unfinished jobs
  pause     Pause a batch
  resume    Resume a paused batch
  retry     Retry a failed job, or a batch's failed jobs
  export    Download a batch's results and files as a ZIP
  prune     Delete what retention has expired, now

Reading commands (status, list, watch) and the others take --json for
machine-readable output (watch: NDJSON events).`;

export const CLIENT_EXIT_CODES = `Exit codes:
  0    done (watch: every job completed)
  1    failed: a watched job or batch failed or was cancelled, the server refused the
       action (409) or failed (5xx), or a worker/migration/copy failed
  2    usage: bad arguments, or input the server rejected as invalid (400)
  3    not found: no such job, batch or template (404)
  4    cannot reach the server, or it refused the token (401)
  130  interrupted (Ctrl-C) during watch`;
