import type { Rule } from '#src/modules/correlation/correlation.types.js';
import { costAnomalyRule } from '#src/modules/correlation/rules/cost-anomaly.rule.js';
import { miningFindingRule } from '#src/modules/correlation/rules/mining-finding.rule.js';
import { sameAccountMiningRule } from '#src/modules/correlation/rules/same-account-mining.rule.js';
import { sharedPrincipalRule } from '#src/modules/correlation/rules/shared-principal.rule.js';
import { sharedResourceRule } from '#src/modules/correlation/rules/shared-resource.rule.js';
import { sustainedUtilizationRule } from '#src/modules/correlation/rules/sustained-utilization.rule.js';

/** Tried in order; the first rule that links a signal is the one its evidence records. */
export const RULES: Rule[] = [
  miningFindingRule,
  sharedResourceRule,
  sustainedUtilizationRule,
  sharedPrincipalRule,
  costAnomalyRule,
  sameAccountMiningRule,
];
