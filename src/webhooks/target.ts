import { BlockList, isIP } from 'node:net';
import { KilnError } from '../core/errors.ts';

/**
 * IPv4 networks a webhook may not reach unless private targets are allowed: this host,
 * loopback, private networks, carrier-grade NAT, link-local (cloud metadata services
 * live at 169.254.169.254), and the special-purpose ranges that are not the public
 * internet (IANA's registry: protocol assignments, documentation, benchmarking,
 * multicast, reserved and broadcast).
 */
const PRIVATE_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3], // multicast 224/4, reserved 240/4 and broadcast
];

/**
 * IPv6 networks refused: unspecified, loopback, discard, documentation, unique local,
 * link-local, site-local, multicast, and local-use NAT64 (64:ff9b:1::/48, which
 * translates to whatever the local gateway chooses).
 */
const PRIVATE_V6: readonly (readonly [string, number])[] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

/** The two low 16-bit groups of an IPv6 address that embeds this IPv4 address. */
function v4Groups(v4: string): string {
  const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * Every refused IPv4 network is refused in the IPv6 forms that reach it: IPv4-mapped
 * (`::ffff:10.0.0.1`: BlockList checks those as IPv4 itself), IPv4-compatible
 * (`::10.0.0.1`), SIIT-translated (`::ffff:0:10.0.0.1`), NAT64's well-known prefix
 * (`64:ff9b::10.0.0.1`, RFC 6052) and 6to4 (`2002:a00:1::`, RFC 3056). Public IPv4
 * addresses in those forms stay allowed.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of PRIVATE_V4) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
  const [hi, lo] = v4Groups(net).split(':') as [string, string];
  PRIVATE.addSubnet(`::${hi}:${lo}`, 96 + prefix, 'ipv6');
  PRIVATE.addSubnet(`::ffff:0:${hi}:${lo}`, 96 + prefix, 'ipv6');
  PRIVATE.addSubnet(`64:ff9b::${hi}:${lo}`, 96 + prefix, 'ipv6');
  PRIVATE.addSubnet(`2002:${hi}:${lo}::`, 16 + prefix, 'ipv6');
}
for (const [net, prefix] of PRIVATE_V6) PRIVATE.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address (v4 or v6, without brackets) is in a refused network (above). */
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
