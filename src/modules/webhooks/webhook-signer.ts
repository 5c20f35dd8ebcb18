import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** `whsec_` + base64 of 32 random bytes, the form Standard Webhooks libraries accept. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Standard Webhooks' message id: the delivery's id, so every retry of it carries the same one. */
export function messageId(deliveryId: string): string {
  return `msg_${deliveryId.replaceAll('-', '')}`;
}

// A Webhook decodes its secret when built; deliveries to one endpoint reuse it. Bounded, and only
// ever holding secrets this process already decrypted to sign with.
const signers = new Map<string, Webhook>();
const MAX_SIGNERS = 1000;

function signer(secret: string): Webhook {
  let webhook = signers.get(secret);
  if (!webhook) {
    if (signers.size >= MAX_SIGNERS) signers.clear();
    webhook = new Webhook(secret);
    signers.set(secret, webhook);
  }
  return webhook;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs `id.timestamp.body` with every secret given, space-separated, as Standard Webhooks allows:
 * during a rotation's grace period receivers holding either the old or the new secret verify it.
 * The timestamp is the attempt's own, so a retry hours later still passes the receivers' 5-minute
 * tolerance.
 */
export function signatureHeaders(secrets: readonly string[], id: string, at: Date, body: string): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => signer(secret).sign(id, at, body)).join(' '),
  };
}
