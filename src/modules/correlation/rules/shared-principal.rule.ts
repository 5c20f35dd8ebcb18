import { spanOf } from '#src/modules/correlation/incident-context.js';
import type { Rule } from '#src/modules/correlation/correlation.types.js';
import { accessKeyKey, identityKey } from '#src/modules/correlation/link-keys.js';

/**
 * Everything the attacker's credentials did within the window joins: the other launches in other
 * regions, and context calls such as GetCallerIdentity. Access keys link any call; an identity
 * (which may be a shared role) links only cost-incurring calls.
 */
export const sharedPrincipalRule: Rule = (s, ctx, { windowMs }) => {
  if (s.kind !== 'provisioning' || !s.principal) return null;
  const near =
    s.observedUntil.getTime() >= spanOf(ctx).from.getTime() - windowMs && s.observedAt.getTime() <= spanOf(ctx).to.getTime() + windowMs;
  if (!near) return null;
  const p = s.principal;
  const refused = typeof s.attributes['errorCode'] === 'string' ? ` (refused: ${s.attributes['errorCode']})` : '';
  const event = `${String(s.attributes['eventName'] ?? 'API call')}${refused}`;
  const created =
    s.resources.length > 0
      ? ` (created ${s.resources.length} resource${s.resources.length > 1 ? 's' : ''} in ${s.region ?? 'an unknown region'})`
      : '';
  if (p.accessKeyId && ctx.accessKeys.has(accessKeyKey(p.accessKeyId))) {
    return {
      rule: 'shared-principal',
      weight: s.resources.length > 0 ? 0.2 : 0.05,
      reason: `${event}${created} used access key ${p.accessKeyId}, the key that launched resources of this incident.`,
    };
  }
  if (p.identity && s.attributes['costIncurring'] === true && ctx.launchers.has(identityKey(s.provider, p.identity))) {
    return {
      rule: 'shared-principal',
      weight: 0.15,
      reason: `${event}${created} by ${p.name ?? p.identity}, the identity that launched resources of this incident.`,
    };
  }
  return null;
};
