import type { IncidentContext, SignalView } from '#src/modules/correlation/correlation.types.js';
import { accessKeyKey, identityKey, resourceKey } from '#src/modules/correlation/link-keys.js';

export function accountKey(s: Pick<SignalView, 'provider' | 'accountId'>): string {
  return `${s.provider}:${s.accountId}`;
}

export function familyOf(instanceType: string): string {
  return instanceType.split('.')[0]!.toLowerCase();
}

/**
 * Builds the incident as the rules see it from its evidence. Principals count only when their
 * signal is tied to the incident's resources (they launched or were seen on them), so a
 * coincidental call by a shared role does not widen the incident.
 */
export function buildContext(evidence: SignalView[]): IncidentContext {
  const ctx: IncidentContext = {
    resourceKeys: new Set(),
    accessKeys: new Set(),
    launchers: new Set(),
    accounts: new Set(),
    instanceFamilies: new Set(),
    window: { from: new Date(8.64e15), to: new Date(-8.64e15) },
    hasMiningFinding: false,
  };
  for (const s of evidence) {
    ctx.accounts.add(accountKey(s));
    if (s.kind !== 'cost_anomaly') {
      if (s.observedAt < ctx.window.from) ctx.window.from = s.observedAt;
      if (s.observedUntil > ctx.window.to) ctx.window.to = s.observedUntil;
    }
    if (s.mining && s.kind === 'security_finding') ctx.hasMiningFinding = true;
    for (const r of s.resources) {
      ctx.resourceKeys.add(resourceKey(r.provider, r.id));
      if (r.instanceType) ctx.instanceFamilies.add(familyOf(r.instanceType));
    }
    const p = s.principal;
    if (p && s.resources.length > 0 && (s.kind === 'provisioning' || s.kind === 'security_finding')) {
      if (p.accessKeyId) ctx.accessKeys.add(accessKeyKey(p.accessKeyId));
      if (p.identity && s.kind === 'provisioning' && s.attributes['costIncurring'] === true) {
        ctx.launchers.add(identityKey(s.provider, p.identity));
      }
    }
  }
  // An incident made only of cost data has no span of its own: use the cost window.
  if (ctx.window.from > ctx.window.to) {
    for (const s of evidence) {
      if (s.observedAt < ctx.window.from) ctx.window.from = s.observedAt;
      if (s.observedUntil > ctx.window.to) ctx.window.to = s.observedUntil;
    }
  }
  return ctx;
}
