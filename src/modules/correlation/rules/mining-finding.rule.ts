import type { Rule, SignalView } from '#src/modules/correlation/correlation.types.js';
import { resourceKey } from '#src/modules/correlation/link-keys.js';

export const MINING_FINDING_WEIGHT = 0.6;

/**
 * A mining detection opens an incident on its own: a finding the taxonomy calls mining, a miner
 * pod, a stratum connection or pool lookup, or a deployment whose image or command names a miner.
 * Cost and utilization are never detections, however high.
 */
export function opensIncident(s: SignalView): boolean {
  return s.mining && s.kind !== 'cost_anomaly' && s.kind !== 'utilization';
}

export function miningFindingReason(s: SignalView): string {
  const what = String(s.attributes['findingType'] ?? s.title);
  const on = s.resources
    .map((r) => r.id)
    .slice(0, 3)
    .join(', ');
  return `${s.source} reports ${what}${on ? ` on ${on}` : ''}: a detection of cryptomining.`;
}

/** A mining finding on a resource the incident already holds. */
export const miningFindingRule: Rule = (s, ctx) => {
  if (!opensIncident(s)) return null;
  if (!s.resources.some((r) => ctx.resourceKeys.has(resourceKey(r.provider, r.id)))) return null;
  return { rule: 'mining-finding', weight: MINING_FINDING_WEIGHT, reason: miningFindingReason(s) };
};
