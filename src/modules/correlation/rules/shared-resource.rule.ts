import type { Rule } from '#src/modules/correlation/correlation.types.js';
import { resourceKey } from '#src/modules/correlation/link-keys.js';

/** An audit record or non-mining finding about a resource the incident holds. */
export const sharedResourceRule: Rule = (s, ctx) => {
  if (s.kind !== 'provisioning' && s.kind !== 'security_finding' && s.kind !== 'network' && s.kind !== 'workload') return null;
  const shared = s.resources.filter((r) => ctx.resourceKeys.has(resourceKey(r.provider, r.id)));
  if (shared.length === 0) return null;
  const ids = shared.map((r) => r.id);
  const list = ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
  if (s.kind === 'provisioning') {
    const who = s.principal?.name ?? s.principal?.identity ?? 'an unknown principal';
    const key = s.principal?.accessKeyId ? ` with access key ${s.principal.accessKeyId}` : '';
    const from = s.principal?.sourceIp ? ` from ${s.principal.sourceIp}` : '';
    return {
      rule: 'shared-resource',
      weight: 0.25,
      reason: `${String(s.attributes['eventName'] ?? 'An API call')} by ${who}${key}${from} created ${list}, which the incident already holds: it shows who launched them.`,
    };
  }
  return { rule: 'shared-resource', weight: 0.1, reason: `${s.title} concerns ${list}, already part of the incident.` };
};
