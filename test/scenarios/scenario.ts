import type { IncidentSeverity } from '#src/modules/incidents/incident.entity.js';

/** One request to the ingest API, exactly as a cloud or its delivery channel sends it. */
export interface IngestStep {
  source: string;
  contentType?: string;
  body: unknown;
  query?: Record<string, string>;
  note?: string;
}

/** An analyst's action between deliveries (e.g. resolving an incident before late cost data arrives). */
export interface TransitionStep {
  transition: { account: string; to: 'RESOLVED' | 'CONTAINED' | 'ACKNOWLEDGED' | 'FALSE_POSITIVE' };
}

export type Step = IngestStep | TransitionStep;

/** A campaign MineWatch must find: one incident, holding every mining detection of the account. */
export interface ExpectedCampaign {
  name: string;
  account: string;
  minSeverity: IncidentSeverity;
  /** The cost impact the incident should carry (within 10 %). */
  cost?: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** In the order the data would reach MineWatch. */
  steps: Step[];
  /** Empty for look-alikes: nothing there may become a HIGH or CRITICAL incident. */
  campaigns: ExpectedCampaign[];
}
