import { createVerify } from 'node:crypto';

/** The fields SNS signs, in the order the string to sign lists them (AWS SNS Developer Guide, "Verifying the signatures of Amazon SNS messages"). */
const SIGNED_FIELDS: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

export interface SnsEnvelope {
  Type: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  Token?: string;
  SubscribeURL?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
}

export function isSnsEnvelope(body: unknown): body is SnsEnvelope {
  const b = body as Record<string, unknown> | null;
  return !!b && typeof b === 'object' && typeof b['Type'] === 'string' && b['Type'] in SIGNED_FIELDS && typeof b['TopicArn'] === 'string';
}

/** Only AWS's own SNS endpoints may serve signing certificates and subscription URLs. */
export function isSnsHost(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return (
      u.protocol === 'https:' &&
      /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(u.hostname) &&
      !u.username &&
      !u.password &&
      (u.port === '' || u.port === '443')
    );
  } catch {
    return false;
  }
}

export function stringToSign(e: SnsEnvelope): string {
  const record = e as unknown as Record<string, unknown>;
  return SIGNED_FIELDS[e.Type]!.filter((f) => typeof record[f] === 'string')
    .map((f) => `${f}\n${String(record[f])}\n`)
    .join('');
}

/** Why the envelope fails verification, or null when it passes. */
export function snsSignatureProblem(e: SnsEnvelope, certificatePem: string): string | null {
  if (!e.Signature) return 'the SNS message has no Signature';
  const algorithm = e.SignatureVersion === '2' ? 'RSA-SHA256' : e.SignatureVersion === '1' ? 'RSA-SHA1' : null;
  if (!algorithm) return `unknown SignatureVersion ${String(e.SignatureVersion)}`;
  const verifier = createVerify(algorithm);
  verifier.update(stringToSign(e), 'utf8');
  try {
    return verifier.verify(certificatePem, e.Signature, 'base64') ? null : 'the SNS signature does not match the message';
  } catch {
    return 'the SNS signing certificate could not be read';
  }
}
