/**
 * `aws.guardduty`: GuardDuty findings as GetFindings returns them (`{"Findings": [...]}` from the
 * CLI/SDK in PascalCase, `{"findings": [...]}` on the wire in camelCase), a single finding, an
 * array of findings, or EventBridge `GuardDuty Finding` events (one or an array).
 */
import { z } from 'zod';

import {
  asNumber,
  asObject,
  asString,
  camelize,
  dig,
  finiteNumber,
  IssueList,
  optionalIsoDateString,
  optionalNumber,
  optionalObject,
  optionalString,
  padCount,
  parseIsoDate,
  requiredString,
  isoDateString,
  unwrapEventBridge,
  unwrapList,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import type { Parser, Principal, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import {
  classifyGuardDutyType,
  instanceFamilyOf,
  isGpuInstanceType,
  isPoolDomain,
  isStratumPort,
  mentionsMining,
  RESOURCE_HIJACKING,
} from '#src/connectors/taxonomy.js';

export const GUARDDUTY_SOURCE = 'aws.guardduty';

const findingSchema = z.looseObject(
  {
    id: requiredString,
    type: requiredString,
    accountId: requiredString,
    region: requiredString,
    severity: finiteNumber.min(0, 'must be between 0 and 10').max(10, 'must be between 0 and 10'),
    createdAt: isoDateString,
    updatedAt: isoDateString,
    title: optionalString,
    description: optionalString,
    arn: optionalString,
    resource: optionalObject,
    service: z
      .looseObject(
        {
          count: optionalNumber.refine((n) => n === undefined || (Number.isInteger(n) && n >= 0), 'must be a whole number'),
          eventFirstSeen: optionalIsoDateString,
          eventLastSeen: optionalIsoDateString,
        },
        { error: 'must be an object' },
      )
      .optional(),
  },
  { error: 'a GuardDuty finding must be a JSON object' },
);

type Finding = z.infer<typeof findingSchema>;

/** GuardDuty's severity bands (GuardDuty User Guide, "Severity levels of GuardDuty findings"). */
export function guardDutySeverity(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score >= 1) return 'LOW';
  return 'INFO';
}

/**
 * Orders versions of a finding: GuardDuty updates `updatedAt` and `service.count` as it aggregates
 * new occurrences into the same finding id. The count is zero-padded so the string compares right.
 */
export function guardDutyVersion(updatedAt: Date, count: number): string {
  return `${updatedAt.toISOString()}#${padCount(count)}`;
}

function resourcesOf(finding: Finding): ResourceRef[] {
  const base = { provider: 'aws' as const, accountId: finding.accountId, region: finding.region };
  const resource = asObject(finding.resource);
  if (!resource) return [];
  const refs: ResourceRef[] = [];
  const instanceId = asString(dig(resource, 'instanceDetails', 'instanceId'));
  if (instanceId) {
    refs.push({
      ...base,
      type: 'aws.ec2.instance',
      id: instanceId,
      instanceType: asString(dig(resource, 'instanceDetails', 'instanceType')),
    });
  }
  const eks = asString(dig(resource, 'eksClusterDetails', 'arn')) ?? asString(dig(resource, 'eksClusterDetails', 'name'));
  if (eks) refs.push({ ...base, type: 'aws.eks.cluster', id: eks });
  const ecs = asString(dig(resource, 'ecsClusterDetails', 'arn')) ?? asString(dig(resource, 'ecsClusterDetails', 'name'));
  if (ecs) refs.push({ ...base, type: 'aws.ecs.cluster', id: ecs });
  const lambda = asString(dig(resource, 'lambdaDetails', 'functionArn')) ?? asString(dig(resource, 'lambdaDetails', 'functionName'));
  if (lambda) refs.push({ ...base, type: 'aws.lambda.function', id: lambda });
  const accessKeyId = asString(dig(resource, 'accessKeyDetails', 'accessKeyId'));
  if (accessKeyId) refs.push({ ...base, type: 'aws.iam.access-key', id: accessKeyId });
  return refs;
}

function principalOf(finding: Finding): Principal | null {
  const key = asObject(dig(finding.resource, 'accessKeyDetails'));
  const apiCall = asObject(dig(finding.service, 'action', 'awsApiCallAction'));
  const sourceIp = asString(dig(apiCall, 'remoteIpDetails', 'ipAddressV4'));
  if (!key && !sourceIp) return null;
  const userName = asString(key?.['userName']);
  return {
    identity: userName ?? asString(key?.['principalId']),
    name: userName,
    accessKeyId: asString(key?.['accessKeyId']),
    sourceIp,
    userAgent: asString(apiCall?.['userAgent']),
  };
}

function toSignal(finding: Finding, raw: unknown): Signal {
  const createdAt = parseIsoDate(finding.createdAt)!;
  const updatedAt = parseIsoDate(finding.updatedAt)!;
  const firstSeen = parseIsoDate(finding.service?.eventFirstSeen) ?? createdAt;
  const lastSeen = parseIsoDate(finding.service?.eventLastSeen) ?? updatedAt;
  const until = lastSeen.getTime() >= firstSeen.getTime() ? lastSeen : firstSeen;
  const count = finding.service?.count ?? 1;

  const action = asObject(dig(finding.service, 'action'));
  const domain = asString(dig(action, 'dnsRequestAction', 'domain'));
  const remotePort = asNumber(dig(action, 'networkConnectionAction', 'remotePortDetails', 'port'));
  const classification = classifyGuardDutyType(finding.type);
  const text = `${finding.title ?? ''} ${finding.description ?? ''}`;
  const mining =
    classification.mining ||
    (domain !== null && isPoolDomain(domain)) ||
    (finding.type.startsWith('AttackSequence:') && mentionsMining(text));

  const resources = resourcesOf(finding);
  const instanceType = resources.find((r) => r.instanceType)?.instanceType ?? null;
  const attributes: JsonObject = {
    findingType: finding.type,
    severityScore: finding.severity,
    count,
    resourceType: asString(dig(finding.resource, 'resourceType')),
    instanceType,
    instanceFamily: instanceType ? instanceFamilyOf(instanceType) : null,
    gpuInstance: instanceType ? isGpuInstanceType(instanceType) : false,
    techniques: mining && classification.techniques.length === 0 ? [RESOURCE_HIJACKING] : classification.techniques,
    // GuardDuty "Generate sample findings" marks its fakes; rules should not open incidents on them.
    sample: dig(finding.service, 'additionalInfo', 'sample') === true,
    arn: finding.arn ?? null,
    // The resource's tags as GuardDuty lists them ([{ key, value }]); suppression rules match on them.
    tags:
      ['instanceDetails', 'eksClusterDetails', 'lambdaDetails']
        .map((details) => dig(finding.resource, details, 'tags'))
        .find(Array.isArray) ?? [],
  };
  if (domain) attributes['domain'] = domain;
  if (remotePort !== null) {
    attributes['remotePort'] = remotePort;
    attributes['stratumPort'] = isStratumPort(remotePort);
  }

  return {
    source: GUARDDUTY_SOURCE,
    sourceId: finding.id,
    sourceVersion: guardDutyVersion(updatedAt, count),
    kind: 'security_finding',
    provider: 'aws',
    accountId: finding.accountId,
    region: finding.region,
    observedAt: firstSeen.toISOString(),
    observedUntil: until.toISOString(),
    severity: guardDutySeverity(finding.severity),
    title: finding.title ?? finding.type,
    mining,
    resources,
    principal: principalOf(finding),
    cost: null,
    attributes,
    raw,
  };
}

function parseItem(item: Item, issues: IssueList): Signal | null {
  const camelized = camelize(item.value);
  const result = findingSchema.safeParse(camelized.value);
  if (!result.success) {
    issues.addZod(result.error, item, camelized);
    return null;
  }
  return toSignal(result.data, item.value);
}

export const parseGuardDuty: Parser = (body) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  for (const listed of unwrapList(body, ['Findings', 'findings'], issues)) {
    const item = unwrapEventBridge(listed, ['GuardDuty Finding'], issues);
    const signal = item && parseItem(item, issues);
    if (signal) signals.push(signal);
  }
  issues.throwIfAny();
  return { signals, ignored: 0 };
};
