import type { Store } from '../store/store.ts';
import { type WebhookSecret, webhookSecret } from './secret.ts';
import { verifySignature } from './signature.ts';

export interface WebhookSettings {
  /** The signing secret; none: the one kept in the store (generated on first use). */
  secret: string | undefined;
  /** Whether webhooks may target loopback, private and link-local addresses. */
  allowPrivate: boolean;
}

/** `kiln.webhooks`: the signing secret and the settings the dispatcher delivers with. */
export function webhooksApi(store: Store, settings: WebhookSettings) {
  let signing: Promise<WebhookSecret> | undefined;
  const signingSecret = (): Promise<WebhookSecret> => {
    if (!signing) {
      signing = webhookSecret(store, settings.secret);
      signing.catch(() => {
        signing = undefined;
      });
    }
    return signing;
  };
  return {
    /** Whether webhooks may target loopback, private and link-local addresses. */
    allowPrivate: settings.allowPrivate,
    /**
     * The secret every delivery is signed with: `webhookSecret` (or KILN_WEBHOOK_SECRET)
     * if given, else the one Kiln generated and keeps in the store, the same for every
     * process on that store. Give it to your receivers.
     */
    secret: async (): Promise<string> => (await signingSecret()).secret,
    /** The secret and where it comes from ('option' or 'store'). */
    signingSecret,
    /** Checks a `Kiln-Signature` header against a raw body, as a receiver would. */
    verify: async (
      header: string | null | undefined,
      rawBody: string,
      options?: { toleranceSeconds?: number; nowSeconds?: number },
    ): Promise<boolean> =>
      verifySignature((await signingSecret()).secret, header, rawBody, options),
  };
}

export type WebhooksApi = ReturnType<typeof webhooksApi>;
