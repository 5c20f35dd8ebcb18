import type { Signal } from '#src/connectors/signal.js';

/**
 * The keys two signals can share to be linked: a resource (`r:`), an access key (`k:`) or an
 * identity (`p:`). Stored with each signal and incident and indexed (GIN), so finding what a new
 * signal touches is one index look-up whatever the table size.
 */
export function resourceKey(provider: string, id: string): string {
  return `r:${provider}:${id.toLowerCase()}`;
}

export function accessKeyKey(accessKeyId: string): string {
  return `k:${accessKeyId}`;
}

export function identityKey(provider: string, identity: string): string {
  return `p:${provider}:${identity.toLowerCase()}`;
}

export function linkKeysOf(signal: Pick<Signal, 'provider' | 'resources' | 'principal'>): string[] {
  const keys = new Set<string>();
  for (const r of signal.resources) keys.add(resourceKey(r.provider, r.id));
  const p = signal.principal;
  if (p?.accessKeyId) keys.add(accessKeyKey(p.accessKeyId));
  if (p?.identity) keys.add(identityKey(signal.provider, p.identity));
  return [...keys].sort();
}
