import { InitialSchema1764300000000 } from './1764300000000-initial-schema.js';
import { LifecycleSuppression1764380000000 } from './1764380000000-lifecycle-suppression.js';
import { CostSeries1764390000000 } from './1764390000000-cost-series.js';
import { Webhooks1764400000000 } from './1764400000000-webhooks.js';
import { Connectors1764410000000 } from './1764410000000-connectors.js';
import { RateLimits1764420000000 } from './1764420000000-rate-limits.js';

/** Every migration, oldest first. Listed explicitly: ESM builds have no reliable glob loading. */
export const migrations = [
  InitialSchema1764300000000,
  LifecycleSuppression1764380000000,
  CostSeries1764390000000,
  Webhooks1764400000000,
  Connectors1764410000000,
  RateLimits1764420000000,
];
