import type { IncidentContext, SignalView } from '#src/modules/correlation/correlation.types.js';
import { accessKeyKey, identityKey, resourceKey } from '#src/modules/correlation/link-keys.js';

export function accountKey(s: Pick<SignalView, 'provider' | 'accountId'>): string {
  return `${s.provider}:${s.accountId}`;
}

export function familyOf(instanceType: string): string {
  return instanceType.split('.')[0]!.toLowerCase();
}

export function emptyContext(): IncidentContext {
  return {
    resourceKeys: new Set(),
    accessKeys: new Set(),
    launchers: new Set(),
    accounts: new Set(),
    instanceFamilies: new Set(),
    window: { from: new Date(8.64e15), to: new Date(-8.64e15) },
    hasMiningFinding: false,
    costWindow: { from: new Date(8.64e15), to: new Date(-8.64e15) },
  };
}

/**
 * Adds one piece of evidence to the incident as the rules see it. Principals count only when their
 * signal is tied to the incident's resources (they launched or were seen on them), so a
 * coincidental call by a shared role does not widen the incident.
 */
export function extendContext(ctx: IncidentContext, s: SignalView): IncidentContext {
  ctx.accounts.add(accountKey(s));
  // Billing days are reported late and whole: they do not stretch the incident's own span.
  const window = s.kind === 'cost_anomaly' ? ctx.costWindow : ctx.window;
  if (s.observedAt < window.from) window.from = s.observedAt;
  if (s.observedUntil > window.to) window.to = s.observedUntil;
  if (s.mining && s.kind !== 'cost_anomaly' && s.kind !== 'utilization') ctx.hasMiningFinding = true;
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
  return ctx;
}

/** The incident's time span: its own signals', or the cost window when it has only cost data. */
export function spanOf(ctx: IncidentContext): { from: Date; to: Date } {
  return ctx.window.from <= ctx.window.to ? ctx.window : ctx.costWindow;
}

export function buildContext(evidence: SignalView[]): IncidentContext {
  return evidence.reduce(extendContext, emptyContext());
}
