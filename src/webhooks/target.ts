import { BlockList, isIP } from 'node:net';
import { KilnError } from '../core/errors.ts';

/**
 * Addresses a webhook may not reach unless private targets are allowed: loopback,
 * private networks, link-local (cloud metadata services live at 169.254.169.254), the
 * unspecified address, and carrier-grade NAT. An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) is checked as the IPv4 address it maps (BlockList does).
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address (v4 or v6, without brackets) is loopback, private or link-local. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `localhost` and its subdomains name this machine whatever DNS says (RFC 6761). */
function isLocalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

const MAX_URL_LENGTH = 2_000;

/**
 * Checks a webhook URL when a batch or template names it: http or https, no credentials,
 * and (unless `allowPrivate`) not a loopback, private or link-local address or
 * `localhost`. A host name is checked again when it is resolved at each delivery
 * (resolve.ts): what it resolves to may change. Returns the URL as normalised.
 */
export function checkWebhookUrl(raw: unknown, allowPrivate: boolean): string {
  const bad = (why: string) =>
    new KilnError('INVALID_WEBHOOK', `webhook url ${why}`, { url: String(raw).slice(0, 200) });
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_LENGTH) {
    throw bad(`must be a string of 1-${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('must be http or https');
  if (url.username || url.password) throw bad('must not carry credentials');
  const host = hostOf(url);
  if (!allowPrivate && (isLocalName(host) || isPrivateAddress(host))) {
    throw bad(
      `points to a private or loopback address (${host}); allow it with allowPrivateWebhooks, --allow-private-webhooks or KILN_ALLOW_PRIVATE_WEBHOOKS=1`,
    );
  }
  return url.href;
}

/** The `webhook` option of a batch or template: `{ url }`, checked; null when absent. */
export function checkWebhookOption(option: unknown, allowPrivate: boolean): string | null {
  if (option === undefined || option === null) return null;
  if (typeof option !== 'object' || Array.isArray(option)) {
    throw new KilnError('INVALID_WEBHOOK', 'webhook must be an object `{ url }`');
  }
  const keys = Object.keys(option);
  const extra = keys.find((k) => k !== 'url');
  if (extra !== undefined) {
    throw new KilnError(
      'INVALID_WEBHOOK',
      `unknown webhook option \`${extra}\`; it takes \`{ url }\``,
    );
  }
  return checkWebhookUrl((option as { url?: unknown }).url, allowPrivate);
}
