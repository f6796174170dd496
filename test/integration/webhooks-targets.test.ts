/**
 * Where a webhook may point: http(s) only, and no loopback, private or link-local target
 * unless allowed, checked when a batch or template names it (nothing is created) and
 * again when the host is resolved for a delivery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KilnError } from '../../src/index.ts';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.ts';
import { resolveTarget } from '../../src/webhooks/resolve.ts';
import { checkWebhookUrl, isPrivateAddress } from '../../src/webhooks/target.ts';
import { waitFor } from '../support/helpers.ts';
import { useKiln } from '../support/library.ts';
import { testJob } from '../support/test-jobs.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';

const open = useKiln();
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function codeOfAsync(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return error instanceof KilnError ? error.code : 'not a KilnError';
  }
  return undefined;
}

const PRIVATE_URLS = [
  'http://127.0.0.1:9/hook',
  'http://127.1/hook',
  'http://0x7f000001/hook',
  'http://localhost:8080/hook',
  'http://api.localhost/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://10.1.2.3/hook',
  'http://172.20.0.1/hook',
  'http://192.168.1.1/hook',
  'http://169.254.169.254/latest/meta-data',
  'http://0.0.0.0/hook',
  'http://[fd12:3456::1]/hook',
  'http://[fe80::1]/hook',
  // Special-purpose IPv4: benchmarking, documentation, multicast, broadcast.
  'http://198.18.0.1/hook',
  'http://203.0.113.7/hook',
  'http://239.1.2.3/hook',
  'http://255.255.255.255/hook',
  // Private IPv4 reached through IPv6: NAT64, 6to4, IPv4-compatible, SIIT.
  'http://[64:ff9b::10.0.0.1]/hook',
  'http://[64:ff9b::a9fe:a9fe]/latest/meta-data',
  'http://[2002:7f00:1::]/hook',
  'http://[::127.0.0.1]/hook',
  'http://[::ffff:0:192.168.1.1]/hook',
  // Site-local, multicast and local-use NAT64.
  'http://[fec0::1]/hook',
  'http://[ff02::1]/hook',
  'http://[64:ff9b:1::a00:1]/hook',
];

describe('webhook targets', () => {
  it('refuses private, loopback and link-local targets unless allowed, and non-http URLs always', () => {
    for (const url of PRIVATE_URLS) {
      expect(() => checkWebhookUrl(url, false), url).toThrow(/private or loopback/);
      expect(checkWebhookUrl(url, true), url).toMatch(/^http:/);
    }
    for (const url of [
      'ftp://example.com/x',
      'file:///etc/passwd',
      'not a url',
      'https://u:p@example.com/',
    ]) {
      expect(() => checkWebhookUrl(url, true), url).toThrow(KilnError);
    }
    expect(checkWebhookUrl('https://hooks.example.com/kiln?x=1', false)).toBe(
      'https://hooks.example.com/kiln?x=1',
    );
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('2606:4700::1111')).toBe(false);
    expect(isPrivateAddress('172.32.0.1')).toBe(false);
    // Public IPv4 in its IPv6 forms stays allowed.
    for (const a of ['64:ff9b::8.8.8.8', '2002:808:808::1', '::ffff:1.1.1.1', '198.20.0.1']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });

  it('a batch or template naming a private target is refused with INVALID_WEBHOOK and nothing is created', async () => {
    const { kiln } = await open({ jobs: [testJob] });
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://[::1]/x']) {
      expect(
        await codeOfAsync(() =>
          kiln.batches.create({ webhook: { url }, jobs: [{ type: 'test', params: {} }] }),
        ),
      ).toBe('INVALID_WEBHOOK');
      expect(
        await codeOfAsync(() =>
          kiln.templates.save({ name: 'private', type: 'test', webhook: { url } }),
        ),
      ).toBe('INVALID_WEBHOOK');
    }
    expect(
      await codeOfAsync(() =>
        kiln.batches.create({
          webhook: { url: 'https://example.com/', secret: 'x' } as never,
          jobs: [{ type: 'test', params: {} }],
        }),
      ),
    ).toBe('INVALID_WEBHOOK');
    expect((await kiln.batches.list()).items).toEqual([]);
    expect((await kiln.jobs.list()).items).toEqual([]);
    expect(await kiln.templates.list()).toEqual([]);
  });

  it('a host is checked again when resolved for a delivery (DNS may point elsewhere now)', async () => {
    await expect(resolveTarget(new URL('http://localhost:1/'), false)).rejects.toThrow(
      /resolves to a private or loopback address/,
    );
    expect(await resolveTarget(new URL('http://localhost:1/'), true)).toMatchObject({
      address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/),
    });

    // A batch created where private targets are allowed, delivered by a process where
    // they are not: the delivery is refused and retried, and nothing reaches the target.
    const { kiln, url, work } = await open({ jobs: [testJob], allowPrivateWebhooks: true });
    const r = await startReceiver();
    receivers.push(r);
    const { Kiln } = await import('../../src/index.ts');
    const strict = await Kiln.open({ store: url, allowPrivateWebhooks: false });
    const dispatcher = new WebhookDispatcher(strict.store, strict.webhooks, () => {});
    work();
    const batch = await kiln.batches.create({
      webhook: { url: r.url },
      jobs: [{ type: 'test', params: {} }],
    });
    try {
      const refused = await waitFor(async () => {
        await dispatcher.pass();
        const b = await kiln.batches.get(batch.id);
        return b?.webhook?.lastError ? b : null;
      });
      expect(refused.webhook).toMatchObject({ state: 'pending', attempts: 1 });
      expect(refused.webhook!.lastError).toMatch(/private or loopback address \(127\.0\.0\.1\)/);
      expect(r.received).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
