import type { Rule } from '#src/modules/correlation/correlation.types.js';
import { spanOf, accountKey } from '#src/modules/correlation/incident-context.js';
import { miningFindingReason, opensIncident } from '#src/modules/correlation/rules/mining-finding.rule.js';

/**
 * Mining detections in the same account within the window are one campaign even when no audit
 * record ties their resources together yet (the GPU fleet seen before its CloudTrail arrives).
 */
export const sameAccountMiningRule: Rule = (s, ctx, { windowMs }) => {
  if (!opensIncident(s) || !ctx.hasMiningFinding || !ctx.accounts.has(accountKey(s))) return null;
  const near =
    s.observedUntil.getTime() >= spanOf(ctx).from.getTime() - windowMs && s.observedAt.getTime() <= spanOf(ctx).to.getTime() + windowMs;
  if (!near) return null;
  return {
    rule: 'same-account-mining',
    weight: 0.4,
    reason: `${miningFindingReason(s)} Same account ${s.accountId} as the incident, within its time window.`,
  };
};
