import type { Money, Principal, Provider, ResourceRef, Severity, SignalKind } from '#src/connectors/signal.js';

/** What the rules see of a stored signal. */
export interface SignalView {
  id: string;
  source: string;
  sourceId: string;
  kind: SignalKind;
  provider: Provider;
  accountId: string;
  region: string | null;
  observedAt: Date;
  observedUntil: Date;
  severity: Severity;
  title: string;
  mining: boolean;
  resources: ResourceRef[];
  principal: Principal | null;
  cost: Money | null;
  attributes: Record<string, unknown>;
  linkKeys: string[];
}

/** What the rules see of an incident: the union of its evidence. */
export interface IncidentContext {
  resourceKeys: Set<string>;
  /** Access keys that launched or touched the incident's resources. */
  accessKeys: Set<string>;
  /** Identities (p:…) that launched the incident's resources with a cost-incurring call. */
  launchers: Set<string>;
  /** provider:account */
  accounts: Set<string>;
  instanceFamilies: Set<string>;
  /** The span of the incident's own (non-cost) signals. */
  window: { from: Date; to: Date };
  hasMiningFinding: boolean;
  /** The span of its cost anomalies, kept apart: billing days are late and whole. */
  costWindow: { from: Date; to: Date };
}

export interface Link {
  rule: string;
  /** 0..1: how much this piece raises the confidence that this is mining. */
  weight: number;
  /** One sentence an analyst reads: why this signal belongs to the incident. */
  reason: string;
}

export interface RuleOptions {
  /** How far outside the incident's time span a signal may lie and still join. */
  windowMs: number;
}

export type Rule = (signal: SignalView, incident: IncidentContext, options: RuleOptions) => Link | null;
