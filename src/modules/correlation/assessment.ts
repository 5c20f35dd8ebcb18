import type { ResourceRef } from '#src/connectors/signal.js';
import type { Link, SignalView } from '#src/modules/correlation/correlation.types.js';
import { opensIncident } from '#src/modules/correlation/rules/mining-finding.rule.js';
import type { AttackVector, IncidentSeverity, IncidentSummary } from '#src/modules/incidents/incident.entity.js';

export interface EvidenceItem {
  signal: SignalView;
  link: Link;
}

/** Everything about an incident that follows from its evidence; recomputed whenever it changes. */
export interface Assessment {
  severity: IncidentSeverity;
  confidence: number;
  title: string;
  providers: string[];
  accounts: string[];
  regions: string[];
  resources: ResourceRef[];
  linkKeys: string[];
  firstSeenAt: Date;
  lastSeenAt: Date;
  costAmount: number;
  costCurrency: string;
  attackVector: AttackVector;
  techniques: string[];
  recommendedActions: string[];
  summary: IncidentSummary;
}

const SEVERITY_ORDER: IncidentSeverity[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
// Identity-like resources are part of the attack vector, not what runs the miner.
const NOT_COMPUTE = /\.(iam|access-key|user|role|service-account)/;

export function severityRank(s: IncidentSeverity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/**
 * Confidence = 1 − Π(1 − w) over the rules that fired. Each rule counts at most three of its
 * signals, so fifty copies of one kind of evidence do not outweigh three independent kinds.
 */
export function confidenceOf(evidence: EvidenceItem[]): number {
  const byRule = new Map<string, number[]>();
  for (const e of evidence) byRule.set(e.link.rule, [...(byRule.get(e.link.rule) ?? []), e.link.weight]);
  let miss = 1;
  for (const weights of byRule.values()) {
    for (const w of weights.sort((a, b) => b - a).slice(0, 3)) miss *= 1 - Math.min(Math.max(w, 0), 0.95);
  }
  return Math.round((1 - miss) * 100);
}

/**
 * Severity from confidence, cost impact and scale. Without a mining detection an incident stays
 * at MEDIUM at most: a cost spike or a busy CPU alone is not proof of mining. A detection the
 * cloud itself rates HIGH or CRITICAL makes the incident at least HIGH.
 */
export function severityOf(
  confidence: number,
  costAmount: number,
  computeCount: number,
  hasMiningFinding: boolean,
  strongFinding = false,
): IncidentSeverity {
  let severity: IncidentSeverity = confidence >= 40 ? 'MEDIUM' : 'LOW';
  if (confidence >= 55 && (costAmount >= 1_000 || computeCount >= 5)) severity = 'HIGH';
  else if (confidence >= 85) severity = 'HIGH';
  if (confidence >= 70 && (costAmount >= 10_000 || computeCount >= 20)) severity = 'CRITICAL';
  if (!hasMiningFinding && severityRank(severity) > severityRank('MEDIUM')) severity = 'MEDIUM';
  if (hasMiningFinding && severityRank(severity) < severityRank('MEDIUM')) severity = 'MEDIUM';
  if (hasMiningFinding && strongFinding && confidence >= 60 && severityRank(severity) < severityRank('HIGH')) severity = 'HIGH';
  return severity;
}

function count<T extends string>(items: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

function uniq(values: Array<string | null | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))].sort();
}

const PROVIDER_NAME: Record<string, string> = { aws: 'AWS', azure: 'Azure', gcp: 'GCP' };

function regionList(resources: ResourceRef[]): string[] {
  // Keep the order in which regions were first hit: it tells how the attacker spread.
  return [...new Set(resources.map((r) => r.region).filter((r): r is string => !!r))];
}

function recommendations(
  resources: ResourceRef[],
  vector: AttackVector,
  evidence: EvidenceItem[],
  keyOwners: Record<string, string>,
): string[] {
  const actions: string[] = [];
  const awsInstances = resources.filter((r) => r.provider === 'aws' && r.type === 'aws.ec2.instance');
  const byRegion = new Map<string, string[]>();
  for (const r of awsInstances) byRegion.set(r.region ?? 'us-east-1', [...(byRegion.get(r.region ?? 'us-east-1') ?? []), r.id]);
  if (awsInstances.length > 0) {
    actions.push(
      `Terminate the ${awsInstances.length} EC2 instance(s) in ${[...byRegion.keys()].join(', ')} after snapshotting one volume for forensics: ` +
        [...byRegion.entries()]
          .map(([region, ids]) => `aws ec2 terminate-instances --region ${region} --instance-ids ${ids.join(' ')}`)
          .join(' ; '),
    );
  }
  for (const key of vector.accessKeyIds) {
    const user = keyOwners[key];
    actions.push(
      `Deactivate access key ${key}${user ? ` of ${user}` : ''}: aws iam update-access-key --access-key-id ${key} --status Inactive${user ? ` --user-name ${user}` : ''}, then rotate the user's other credentials.`,
    );
  }
  const eventNames = new Set(evidence.map((e) => String(e.signal.attributes['eventName'] ?? '')));
  const spot =
    evidence.some((e) => e.signal.attributes['spot'] === true) ||
    eventNames.has('RequestSpotInstances') ||
    eventNames.has('RequestSpotFleet');
  if (awsInstances.length > 0 || spot) {
    actions.push(
      `Cancel spot requests and fleets the attacker made in every region (aws ec2 describe-spot-instance-requests / cancel-spot-instance-requests; describe-fleets / delete-fleets), so terminated capacity is not replaced.`,
    );
    actions.push(
      `Delete auto scaling groups and launch templates the attacker created (CreateAutoScalingGroup, CreateLaunchTemplate in CloudTrail for the same key).`,
    );
    actions.push(
      `Attach a service control policy denying ec2:RunInstances for GPU families (p*, g*, inf*, trn*) and for regions the organisation does not use.`,
    );
  }
  const azure = resources.filter((r) => r.provider === 'azure');
  if (azure.length > 0) {
    actions.push(
      `Stop and deallocate the ${azure.length} Azure resource(s) (az vm deallocate / az vmss deallocate; for AKS, cordon the node and delete the miner pod).`,
    );
    actions.push(`Disable the identity that created them and assign an Azure Policy denying GPU VM sizes (Standard_NC*, ND*, NV*).`);
  }
  const gcp = resources.filter((r) => r.provider === 'gcp');
  if (gcp.length > 0) {
    actions.push(`Stop the ${gcp.length} GCP resource(s) (gcloud compute instances stop / delete; for GKE, delete the miner workload).`);
    actions.push(
      `Disable the service account or user key that created them and set the org policy constraints/compute.vmExternalIpAccess and a GPU quota of zero where GPUs are not used.`,
    );
  }
  if (vector.principals.length > 0) {
    actions.push(
      `Review every call made by ${vector.principals.map((p) => vector.principalNames?.[p] ?? p).join(', ')} since the first recorded call for persistence (new users, keys, roles, Lambda functions).`,
    );
  }
  return actions;
}

export function assess(evidence: EvidenceItem[]): Assessment {
  const signals = evidence.map((e) => e.signal);
  const hasMiningFinding = signals.some(opensIncident);

  const byId = new Map<string, ResourceRef>();
  for (const s of signals) {
    for (const r of s.resources) {
      const key = `${r.provider}:${r.id.toLowerCase()}`;
      const known = byId.get(key);
      if (!known) byId.set(key, { ...r });
      else if (!known.instanceType && r.instanceType) known.instanceType = r.instanceType;
    }
  }
  const resources = [...byId.values()];
  const compute = resources.filter((r) => !NOT_COMPUTE.test(r.type));

  const costSignals = signals.filter((s) => s.kind === 'cost_anomaly' && s.cost);
  const currency = costSignals[0]?.cost?.currency ?? 'USD';
  const costAmount =
    Math.round(costSignals.filter((s) => s.cost!.currency === currency).reduce((sum, s) => sum + s.cost!.amount, 0) * 100) / 100;

  const actors = signals.filter((s) => s.principal && (s.kind === 'provisioning' || (s.kind === 'security_finding' && s.mining)));
  const principalNames: Record<string, string> = {};
  const keyOwners: Record<string, string> = {};
  for (const s of actors) {
    const p = s.principal!;
    if (p.identity && p.name) principalNames[p.identity] = p.name;
    if (p.accessKeyId && p.name) keyOwners[p.accessKeyId] = p.name;
  }
  const provisioning = signals.filter((s) => s.kind === 'provisioning').sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
  const attackVector: AttackVector = {
    principals: uniq(actors.map((s) => s.principal!.identity)),
    accessKeyIds: uniq(actors.map((s) => s.principal!.accessKeyId)),
    sourceIps: uniq(actors.map((s) => s.principal!.sourceIp)),
    firstCallAt: provisioning[0]?.observedAt.toISOString() ?? null,
    principalNames,
  };

  const nonCost = signals.filter((s) => s.kind !== 'cost_anomaly');
  const spanOf = nonCost.length > 0 ? nonCost : signals;
  const firstSeenAt = new Date(Math.min(...spanOf.map((s) => s.observedAt.getTime())));
  const lastSeenAt = new Date(Math.max(...spanOf.map((s) => s.observedUntil.getTime())));

  const confidence = confidenceOf(evidence);
  const strongFinding = signals.some(
    (s) => s.mining && s.kind === 'security_finding' && (s.severity === 'HIGH' || s.severity === 'CRITICAL'),
  );
  const severity = severityOf(confidence, costAmount, compute.length, hasMiningFinding, strongFinding);

  const regions = regionList(compute.length > 0 ? compute : resources);
  for (const s of signals) if (s.region && !regions.includes(s.region)) regions.push(s.region);
  const providers = uniq(signals.map((s) => s.provider));
  const accounts = uniq(signals.map((s) => s.accountId));

  const techniques = new Set<string>(['T1496']);
  if (attackVector.accessKeyIds.length > 0 || attackVector.principals.length > 0) techniques.add('T1078.004');
  if (provisioning.some((s) => s.attributes['costIncurring'] === true && s.resources.length > 0)) techniques.add('T1578.002');
  if (regions.length >= 3) techniques.add('T1535');

  const instanceTypes = count(compute.map((r) => r.instanceType).filter((t): t is string => !!t));
  const typeList = Object.keys(instanceTypes);
  const where = regions.length === 1 ? regions[0] : `${regions.length} regions`;
  const what =
    compute.length > 0
      ? `${compute.length} ${typeList.length === 1 ? `${typeList[0]} ` : ''}${compute.length === 1 ? 'resource' : 'resources'}`
      : 'resources';
  const title = `${hasMiningFinding ? 'Cryptomining' : 'Suspected cryptomining'} on ${what} in ${where} (${providers.map((p) => PROVIDER_NAME[p] ?? p).join(' + ')} ${accounts.join(', ')})`;

  const detected = signals.filter((s) => s.mining).map((s) => s.observedAt.getTime());
  const summary: IncidentSummary = {
    findingTypes: count(signals.filter((s) => s.kind === 'security_finding').map((s) => String(s.attributes['findingType'] ?? s.title))),
    instanceTypes,
    miningResourceCount: compute.length,
    sources: uniq(signals.map((s) => s.source)),
    detectedAt: new Date(detected.length > 0 ? Math.min(...detected) : firstSeenAt.getTime()).toISOString(),
    evidenceCount: evidence.length,
  };

  const linkKeys = new Set<string>();
  for (const s of signals) for (const k of s.linkKeys) linkKeys.add(k);

  return {
    severity,
    confidence,
    title,
    providers,
    accounts,
    regions,
    resources,
    linkKeys: [...linkKeys].sort(),
    firstSeenAt,
    lastSeenAt,
    costAmount,
    costCurrency: currency,
    attackVector,
    techniques: [...techniques],
    recommendedActions: recommendations(compute, attackVector, evidence, keyOwners),
    summary,
  };
}
