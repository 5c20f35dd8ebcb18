import type { IncidentEventEntity } from '#src/modules/incidents/incident-event.entity.js';
import type { IncidentListItem } from '#src/modules/incidents/incident.entity.js';
import type { EvidenceModel, IncidentModel, IncidentTimelineEntryModel, SignalModel } from '#src/modules/incidents/incident.model.js';
import type { EvidenceRow } from '#src/modules/incidents/incidents.repository.js';
import type { SignalEntity } from '#src/modules/signals/signal.entity.js';

export function toSignalModel(s: SignalEntity): SignalModel {
  return {
    id: s.id,
    kind: s.kind,
    source: s.source,
    sourceId: s.sourceId,
    provider: s.provider,
    accountId: s.accountId,
    region: s.region,
    observedAt: s.observedAt,
    observedUntil: s.observedUntil,
    severity: s.severity,
    title: s.title,
    mining: s.mining,
    resources: s.resources.map((r) => ({ ...r, region: r.region ?? null, instanceType: r.instanceType ?? null })),
    cost: s.costAmount === null ? null : { amount: s.costAmount, currency: s.costCurrency ?? 'USD' },
    suppressedBy: s.suppressedBy,
  };
}

export function toIncidentModel(i: IncidentListItem): IncidentModel {
  return {
    id: i.id,
    status: i.status,
    severity: i.severity,
    confidence: i.confidence,
    title: i.title,
    providers: i.providers,
    accounts: i.accounts,
    regions: i.regions,
    resources: i.resources.map((r) => ({ ...r, region: r.region ?? null, instanceType: r.instanceType ?? null })),
    firstSeenAt: i.firstSeenAt,
    lastSeenAt: i.lastSeenAt,
    costImpact: { amount: i.costAmount, currency: i.costCurrency },
    attackVector: {
      principals: i.attackVector.principals,
      accessKeyIds: i.attackVector.accessKeyIds,
      sourceIps: i.attackVector.sourceIps,
      firstCallAt: i.attackVector.firstCallAt ? new Date(i.attackVector.firstCallAt) : null,
    },
    techniques: i.techniques,
    recommendedActions: i.recommendedActions,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    relatedIncidentId: i.relatedIncidentId,
  };
}

export function toEvidenceModel(e: EvidenceRow): EvidenceModel {
  return { rule: e.rule, weight: e.weight, reason: e.reason, addedAt: e.addedAt, signal: toSignalModel(e.signal) };
}

export function toTimelineModel(e: IncidentEventEntity): IncidentTimelineEntryModel {
  return { type: e.type, actor: e.actor, at: e.at, details: JSON.stringify(e.data) };
}
