/**
 * `kiln serve`: the HTTP API, an embedded worker and the background services (webhooks,
 * schedules) in one process, on one store. Every option also comes from the
 * environment; a flag wins. Logs JSON lines to stderr; prints its URL and an example
 * command to stdout. SIGTERM or SIGINT shut it down gracefully.
 */

import { DEFAULT_STORE_URL, Kiln, redactStoreUrl, type Worker } from '../index.ts';
import { DEFAULT_BODY_LIMIT_BYTES, jsonLogger } from '../server/deps.ts';
import { checkExposure, DEFAULT_HOST, DEFAULT_PORT, startServer } from '../server/server.ts';
import { startServices } from '../services/index.ts';
import { loadJobs, positiveInteger } from './load-jobs.ts';
import { parse, UsageError } from './usage.ts';
import { logWorkerEvents, nextStopSignal } from './worker.ts';

export const SERVE_HELP = `Usage: kiln serve [options]

Serves the HTTP API (docs/API.md) with an embedded worker until SIGTERM or SIGINT, then
shuts down gracefully: no new connections, in-flight requests finish, event streams
end, running jobs get a grace period, then go back to pending.

Options:
  -s, --store <url>        Store URL (env KILN_STORE; default ${DEFAULT_STORE_URL})
      --host <address>     Address to listen on (env KILN_HOST; default ${DEFAULT_HOST}).
                           Anything but loopback needs a token.
  -p, --port <n>           Port (env KILN_PORT; default ${DEFAULT_PORT}; 0 picks a free one)
      --token <secret>     Require \`Authorization: Bearer <secret>\` on everything but
                           /healthz (env KILN_TOKEN, which keeps it out of \`ps\`)
  -c, --concurrency <n>    Jobs the embedded worker runs at once (env KILN_CONCURRENCY; default 10)
  -j, --jobs <module>      Module exporting job definitions and templates (env KILN_JOBS;
                           default: Kiln's demo jobs and templates)
      --no-worker          Serve only; workers run elsewhere (\`kiln worker\`)
      --body-limit <size>  Largest request body: bytes, or with kb / mb (env KILN_BODY_LIMIT;
                           default 1mb)
      --allow-private-webhooks
                           Let webhooks target loopback and private addresses
                           (env KILN_ALLOW_PRIVATE_WEBHOOKS=1; refused by default)
  -h, --help               Show this help
`;

const SERVE_OPTIONS = {
  store: { type: 'string', short: 's' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  token: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  jobs: { type: 'string', short: 'j' },
  'no-worker': { type: 'boolean' },
  'body-limit': { type: 'string' },
  'allow-private-webhooks': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface ServeSettings {
  store: string;
  host: string;
  port: number;
  token: string | undefined;
  concurrency: number;
  jobs: string | undefined;
  worker: boolean;
  bodyLimitBytes: number;
  /** Webhooks may target loopback and private addresses (refused by default). */
  allowPrivateWebhooks: boolean;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
};

/** `1048576`, `512kb`, `2mb` (KiB and MiB, as limits usually are) to bytes. */
export function parseSize(raw: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(
      `--body-limit is a size like 1048576, 512kb or 2mb, got \`${raw}\``,
      'serve',
    );
  }
  return bytes;
}

/** Flags over environment over defaults. */
export function serveSettings(args: string[], env: NodeJS.ProcessEnv): ServeSettings | 'help' {
  const { values } = parse('serve', args, SERVE_OPTIONS);
  if (values.help) return 'help';
  const pick = (flag: string | undefined, name: string) => {
    const v = flag ?? env[name];
    return v === '' ? undefined : v;
  };
  const rawPort = pick(values.port, 'KILN_PORT');
  const port = rawPort === undefined ? DEFAULT_PORT : Number(rawPort);
  if (!/^\d+$/.test(rawPort ?? '0') || port > 65_535) {
    throw new UsageError(`--port is 0 to 65535, got \`${rawPort}\``, 'serve');
  }
  const rawConcurrency = pick(values.concurrency, 'KILN_CONCURRENCY');
  const rawLimit = pick(values['body-limit'], 'KILN_BODY_LIMIT');
  return {
    store: pick(values.store, 'KILN_STORE') ?? DEFAULT_STORE_URL,
    host: pick(values.host, 'KILN_HOST') ?? DEFAULT_HOST,
    port,
    // An empty --token is refused (checkExposure); an empty KILN_TOKEN means none.
    token: values.token ?? pick(undefined, 'KILN_TOKEN'),
    concurrency:
      rawConcurrency === undefined ? 10 : positiveInteger('--concurrency', rawConcurrency, 'serve'),
    jobs: pick(values.jobs, 'KILN_JOBS'),
    worker: !values['no-worker'],
    bodyLimitBytes: rawLimit === undefined ? DEFAULT_BODY_LIMIT_BYTES : parseSize(rawLimit),
    allowPrivateWebhooks:
      values['allow-private-webhooks'] === true || env.KILN_ALLOW_PRIVATE_WEBHOOKS === '1',
  };
}

/** One command a person can paste to see the server work. */
function exampleCommand(url: string, template: string | undefined, token: boolean): string {
  const auth = token ? ` -H "authorization: Bearer $KILN_TOKEN"` : '';
  if (template === undefined) return `curl -s${auth} ${url}/api/job-types`;
  return `curl -s${auth} -X POST ${url}/api/batches -H 'content-type: application/json' -d '{"template":"${template}"}'`;
}

export async function serve(args: string[]): Promise<void> {
  const settings = serveSettings(args, process.env);
  if (settings === 'help') {
    process.stdout.write(SERVE_HELP);
    return;
  }
  // Before opening anything: an exposed server without a token does not start at all.
  checkExposure(settings.host, settings.token);
  const log = jsonLogger();
  const { jobs, templates, url: jobsUrl } = await loadJobs(settings.jobs, 'serve');
  const kiln = await Kiln.open({
    store: settings.store,
    jobs,
    templates,
    allowPrivateWebhooks: settings.allowPrivateWebhooks,
  });

  let worker: Worker | undefined;
  let services: { stop(): Promise<void> } | undefined;
  try {
    if (settings.worker) {
      worker = kiln.work({ concurrency: settings.concurrency });
      logWorkerEvents(worker, log);
    }
    services = startServices({ kiln, log });
    const server = await startServer({
      kiln,
      host: settings.host,
      port: settings.port,
      token: settings.token,
      bodyLimitBytes: settings.bodyLimitBytes,
      log,
      ...(worker ? { worker } : {}),
    });
    log('info', 'server:start', {
      url: server.url,
      pid: process.pid,
      store: redactStoreUrl(settings.store),
      jobs: jobsUrl,
      types: jobs.map((j) => j.type),
      worker: worker?.id ?? null,
      concurrency: worker ? settings.concurrency : 0,
      auth: settings.token !== undefined,
      bodyLimitBytes: settings.bodyLimitBytes,
    });
    process.stdout.write(
      `Kiln is serving ${server.url} (API: ${server.url}/openapi.json). Ctrl-C stops.\n` +
        `Try: ${exampleCommand(server.url, templates[0]?.name, settings.token !== undefined)}\n`,
    );

    const signal = await nextStopSignal();
    // A second signal while draining: stop waiting.
    const force = () => {
      log('warn', 'server:forced', {});
      process.exit(1);
    };
    process.once('SIGTERM', force);
    process.once('SIGINT', force);
    log('info', 'server:stopping', { signal, running: worker?.running ?? 0 });
    // Requests drain while running jobs finish (or are released): both still need the store.
    await Promise.all([server.close(), worker?.stop()]);
    await services.stop();
    services = undefined;
    await kiln.close();
    log('info', 'server:stop', {});
    process.off('SIGTERM', force);
    process.off('SIGINT', force);
  } finally {
    await services?.stop();
    await kiln.close();
  }
}
