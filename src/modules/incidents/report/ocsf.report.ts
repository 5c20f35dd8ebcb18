import type { IncidentStatus } from '#src/modules/incidents/incident.entity.js';
import type { ReportInput } from '#src/modules/incidents/report/incident-report.js';

// OCSF 1.3 Detection Finding (class 2004, category 2 Findings).
const SEVERITY_ID = { LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 } as const;
const STATUS: Record<IncidentStatus, { id: number; name: string }> = {
  OPEN: { id: 1, name: 'New' },
  ACKNOWLEDGED: { id: 2, name: 'In Progress' },
  CONTAINED: { id: 2, name: 'In Progress' },
  RESOLVED: { id: 4, name: 'Resolved' },
  FALSE_POSITIVE: { id: 3, name: 'Suppressed' },
};
const TECHNIQUES: Record<string, { name: string; tactic: { uid: string; name: string } }> = {
  T1496: { name: 'Resource Hijacking', tactic: { uid: 'TA0040', name: 'Impact' } },
  'T1078.004': { name: 'Valid Accounts: Cloud Accounts', tactic: { uid: 'TA0001', name: 'Initial Access' } },
  'T1578.002': { name: 'Modify Cloud Compute Infrastructure: Create Cloud Instance', tactic: { uid: 'TA0005', name: 'Defense Evasion' } },
  T1535: { name: 'Unused/Unsupported Cloud Regions', tactic: { uid: 'TA0005', name: 'Defense Evasion' } },
};
const CLOUD: Record<string, string> = { aws: 'AWS', azure: 'Azure', gcp: 'GCP' };

export function renderOcsf({ incident: i, evidence }: ReportInput, productVersion: string): Record<string, unknown> {
  const status = STATUS[i.status];
  return {
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    activity_id: i.version > 1 ? 2 : 1,
    activity_name: i.version > 1 ? 'Update' : 'Create',
    type_uid: 200400 + (i.version > 1 ? 2 : 1),
    severity_id: SEVERITY_ID[i.severity],
    severity: i.severity.charAt(0) + i.severity.slice(1).toLowerCase(),
    status_id: status.id,
    status: status.name,
    confidence_score: i.confidence,
    time: i.updatedAt.getTime(),
    message: i.title,
    metadata: {
      version: '1.3.0',
      product: { name: 'MineWatch', vendor_name: 'MineWatch', version: productVersion },
      uid: i.id,
      logged_time: i.createdAt.getTime(),
      modified_time: i.updatedAt.getTime(),
    },
    finding_info: {
      uid: i.id,
      title: i.title,
      desc: `Cryptomining incident correlated from ${evidence.length} signal(s).`,
      created_time: i.createdAt.getTime(),
      first_seen_time: i.firstSeenAt.getTime(),
      last_seen_time: i.lastSeenAt.getTime(),
      modified_time: i.updatedAt.getTime(),
      types: Object.keys(i.summary.findingTypes ?? {}),
      analytic: { name: 'MineWatch correlation', type_id: 1, type: 'Rule' },
      attacks: i.techniques.map((uid) => ({
        version: '15',
        technique: { uid, name: TECHNIQUES[uid]?.name ?? uid },
        tactic: TECHNIQUES[uid]?.tactic,
      })),
      related_events: evidence.map((e) => ({
        uid: e.signal.sourceId,
        product_uid: e.signal.source,
        type: e.signal.kind,
        time: e.signal.observedAt.getTime(),
      })),
    },
    cloud: {
      provider: i.providers.map((p) => CLOUD[p] ?? p).join(','),
      account: { uid: i.accounts[0] },
      region: i.regions[0],
    },
    resources: i.resources.map((r) => ({
      uid: r.id,
      type: r.type,
      region: r.region ?? undefined,
      cloud_partition: r.provider,
      owner: { account: { uid: r.accountId } },
    })),
    evidences: evidence.map((e) => ({ data: { rule: e.rule, weight: e.weight, reason: e.reason, signal_id: e.signal.id } })),
    remediation: { desc: i.recommendedActions.join('\n') },
    unmapped: {
      cost_impact: { amount: i.costAmount, currency: i.costCurrency },
      attack_vector: i.attackVector,
    },
  };
}
