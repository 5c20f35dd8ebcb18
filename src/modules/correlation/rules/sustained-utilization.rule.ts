import type { Rule } from '#src/modules/correlation/correlation.types.js';
import { resourceKey } from '#src/modules/correlation/link-keys.js';

/** CPU or GPU pinned near 100 % on an incident resource corroborates mining; idle metrics do not link. */
export const sustainedUtilizationRule: Rule = (s, ctx) => {
  if (s.kind !== 'utilization' || s.attributes['sustainedHigh'] !== true) return null;
  const shared = s.resources.find((r) => ctx.resourceKeys.has(resourceKey(r.provider, r.id)));
  if (!shared) return null;
  const avg = Number(s.attributes['average']);
  const metric = String(s.attributes['metric'] ?? 'utilization');
  const hours = Math.max(1, Math.round((s.observedUntil.getTime() - s.observedAt.getTime()) / 3_600_000));
  return {
    rule: 'sustained-utilization',
    weight: 0.15,
    reason: `${metric} averaged ${Number.isFinite(avg) ? avg.toFixed(1) : '?'} % on ${shared.id} over ${hours} h, as a miner keeps it.`,
  };
};
