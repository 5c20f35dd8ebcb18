import type { EvidenceRow } from '#src/modules/incidents/incidents.repository.js';
import type { IncidentEntity } from '#src/modules/incidents/incident.entity.js';

/** Everything a report renderer needs, gathered once. */
export interface ReportInput {
  incident: IncidentEntity;
  evidence: EvidenceRow[];
}

const SOURCE_NAMES: Record<string, string> = {
  'aws.cost-anomaly': 'AWS Cost Anomaly Detection',
  'aws.guardduty': 'GuardDuty',
  'aws.cloudtrail': 'CloudTrail',
  'aws.cloudwatch': 'CloudWatch',
  'azure.defender': 'Defender for Cloud',
  'azure.cost': 'Azure Cost Management',
  'azure.monitor': 'Azure Monitor',
  'azure.activity-log': 'Activity Log',
  'gcp.scc': 'Security Command Center',
  'gcp.billing': 'Cloud Billing',
  'gcp.monitoring': 'Cloud Monitoring',
  'gcp.audit-log': 'Cloud Audit Logs',
  focus: 'FOCUS cost data',
  kubernetes: 'Kubernetes',
  signals: 'MineWatch signals',
};

// Cost and detection first: they are what the report's reader checks first.
const SOURCE_ORDER = ['aws.cost-anomaly', 'azure.cost', 'gcp.billing', 'focus', 'aws.guardduty', 'azure.defender', 'gcp.scc'];

export function sourceNames(sources: string[]): string[] {
  const rank = (s: string) => (SOURCE_ORDER.includes(s) ? SOURCE_ORDER.indexOf(s) : SOURCE_ORDER.length);
  return [...sources].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((s) => SOURCE_NAMES[s] ?? s);
}

export function formatMoney(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(amount);
}

export function formatTime(d: Date | string): string {
  return new Date(d)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d{3}Z$/, ' UTC');
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d ? `${d} d` : '', h ? `${h} h` : '', !d && m ? `${m} min` : ''].filter(Boolean).join(' ') || '0 min';
}

export interface EvidenceGroup {
  rule: string;
  count: number;
  /** The strongest weight among them. */
  weight: number;
  /** Reasons, strongest first, at most `limit` of them. */
  reasons: string[];
}

/**
 * Evidence grouped by rule, so fifty findings read as one line with examples rather than fifty
 * lines; the JSON report keeps every piece.
 */
export function evidenceGroups(evidence: ReportInput['evidence'], limit = 3): EvidenceGroup[] {
  const groups = new Map<string, ReportInput['evidence']>();
  for (const e of evidence) groups.set(e.rule, [...(groups.get(e.rule) ?? []), e]);
  return [...groups.entries()]
    .map(([rule, items]) => {
      const sorted = [...items].sort((a, b) => b.weight - a.weight);
      return { rule, count: items.length, weight: sorted[0]!.weight, reasons: sorted.slice(0, limit).map((e) => e.reason) };
    })
    .sort((a, b) => b.weight - a.weight || b.count - a.count);
}

export interface ReportFacts {
  accounts: string;
  detection: string;
  sources: string;
  miningLine: string;
  regions: string;
  duration: string;
  cost: string;
  attackVector: string;
  findings: Array<[string, number]>;
  findingsLabel: string;
  containment: string[];
}

/** The facts the text and Markdown reports print, in words. */
export function reportFacts({ incident: i }: ReportInput): ReportFacts {
  const types = Object.entries(i.summary.instanceTypes ?? {}).sort((a, b) => b[1] - a[1]);
  const count = i.summary.miningResourceCount ?? i.resources.length;
  const typeText = types.length > 0 ? ` (${types.map(([t, n]) => (types.length > 1 ? `${t} × ${n}` : t)).join(', ')})` : '';
  const isAwsInstances = i.resources.some((r) => r.type === 'aws.ec2.instance');
  const av = i.attackVector;
  const who =
    av.accessKeyIds.length > 0
      ? `access key ${av.accessKeyIds.join(', ')}`
      : av.principals.length > 0
        ? av.principals.join(', ')
        : 'unknown';
  const names = Object.values(av.principalNames ?? {});
  const from = av.sourceIps.length > 0 ? ` from ${av.sourceIps.join(', ')}` : '';
  const first = av.firstCallAt ? `, first call ${formatTime(av.firstCallAt)}` : '';
  const findingSources = sourceNames((i.summary.sources ?? []).filter((s) => ['aws.guardduty', 'azure.defender', 'gcp.scc'].includes(s)));
  return {
    accounts: i.accounts.join(', '),
    detection: formatTime(i.summary.detectedAt ?? i.firstSeenAt),
    sources: sourceNames(i.summary.sources ?? []).join(' + '),
    miningLine: `${isAwsInstances ? 'Mining instances' : 'Mining resources'}: ${count}${typeText}`,
    regions: i.regions.join(', ') || 'unknown',
    duration: formatDuration(i.lastSeenAt.getTime() - i.firstSeenAt.getTime()),
    cost: i.costAmount > 0 ? formatMoney(i.costAmount, i.costCurrency) : 'no cost data yet',
    attackVector: `${who}${names.length ? ` (${names.join(', ')})` : ''}${from}${first}`,
    findings: Object.entries(i.summary.findingTypes ?? {}).sort((a, b) => b[1] - a[1]),
    findingsLabel: `${findingSources.join(' / ') || 'Security'} findings`,
    containment: i.recommendedActions,
  };
}
