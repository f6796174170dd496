import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostOf, isPrivateAddress } from './target.ts';

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a webhook's host at delivery time and checks every address it resolves to:
 * a name checked when the batch was created may point elsewhere now (DNS rebinding).
 * The delivery then connects to the address checked here, never resolving again.
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<ResolvedTarget> {
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses =
    literal !== 0
      ? [{ address: host, family: literal }]
      : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`${host} resolves to no address`);
  if (!allowPrivate) {
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) {
      throw new Error(`${host} resolves to a private or loopback address (${refused.address})`);
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
