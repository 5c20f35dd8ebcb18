import type { Rule } from '#src/modules/correlation/correlation.types.js';
import { spanOf, accountKey, familyOf } from '#src/modules/correlation/incident-context.js';

const DAY = 86_400_000;
const COMPUTE_SERVICE = /elastic compute cloud|\bec2\b|compute engine|virtual machines|kubernetes|container|lambda|fargate|batch/i;

function money(n: number): string {
  return `$${n.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
}

/**
 * Cost anomalies carry no resource id: they attach by account, time and what was billed (a compute
 * service, or a usage type of an instance family the incident runs). Billing days are whole UTC
 * days reported late, so the window is widened by a day before and the rule window after.
 */
export const costAnomalyRule: Rule = (s, ctx, { windowMs }) => {
  if (s.kind !== 'cost_anomaly' || !ctx.accounts.has(accountKey(s))) return null;
  const overlaps =
    s.observedUntil.getTime() >= spanOf(ctx).from.getTime() - DAY && s.observedAt.getTime() <= spanOf(ctx).to.getTime() + windowMs;
  if (!overlaps) return null;
  const service = String(s.attributes['service'] ?? '');
  const instanceType = typeof s.attributes['instanceType'] === 'string' ? s.attributes['instanceType'] : null;
  const familyMatch = instanceType !== null && ctx.instanceFamilies.has(familyOf(instanceType));
  if (!familyMatch && !COMPUTE_SERVICE.test(service)) return null;
  const expected = Number(s.attributes['expectedSpend'] ?? NaN);
  const actual = Number(s.attributes['actualSpend'] ?? NaN);
  const spend = Number.isFinite(expected) && Number.isFinite(actual) ? ` (${money(actual)} against ${money(expected)} expected)` : '';
  const impact = s.cost ? `${money(s.cost.amount)} unexpected ${service || 'compute'} spend` : `unexpected ${service || 'compute'} spend`;
  return {
    rule: 'cost-anomaly',
    weight: familyMatch ? 0.25 : 0.2,
    reason: `${impact}${spend} in account ${s.accountId}${s.region ? `, ${s.region}` : ''} while the incident ran${familyMatch ? `, billed on ${instanceType}` : ''}.`,
  };
};
