import { createHash, randomBytes } from 'node:crypto';

export const SCOPES = ['incidents:read', 'incidents:write', 'ingest', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'mwk_';

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (const byte of bytes) {
    if (out.length === length) break;
    // Rejection sampling keeps every character equally likely.
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

function checksum(body: string): string {
  const digest = createHash('sha256').update(body).digest();
  let n = digest.readUInt32BE(0);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out += ALPHABET[n % 62];
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * `mwk_` + 32 random base62 characters + 6-character checksum. The fixed prefix lets secret
 * scanners recognise a leaked key; the checksum lets us reject typos without a database look-up.
 */
export function generateApiKey(): string {
  let body = '';
  while (body.length < 32) body += base62(randomBytes(48), 32 - body.length);
  return `${PREFIX}${body}${checksum(body)}`;
}

/** Our generated keys carry a checksum; an operator-supplied MINEWATCH_API_KEY may have any form. */
export function hasValidChecksum(key: string): boolean {
  if (!key.startsWith(PREFIX) || key.length !== PREFIX.length + 38) return false;
  const body = key.slice(PREFIX.length, PREFIX.length + 32);
  return checksum(body) === key.slice(PREFIX.length + 32);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function keyPrefix(key: string): string {
  return key.slice(0, 10);
}

export function grants(scopes: readonly string[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}
