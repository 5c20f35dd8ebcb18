/**
 * `aws.cloudtrail`: CloudTrail management events, as
 * - a log file delivered to S3 (`{"Records": [...]}`),
 * - a `LookupEvents` response (`{"Events": [{"EventId", "EventTime", "CloudTrailEvent": "<json>"}], "NextToken"}`;
 *   `EventTime` is epoch seconds on the JSON wire and ISO 8601 in the CLI),
 * - EventBridge `AWS API Call via CloudTrail` events, one or an array,
 * - a single record or an array of records.
 *
 * Every call becomes a `provisioning` signal; calls that start paid capacity are marked
 * `costIncurring`, the rest (CreateAccessKey, GetCallerIdentity …) are kept as context.
 */
import { z } from 'zod';

import {
  asArray,
  asNumber,
  asObject,
  asString,
  decodeJsonString,
  dig,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalObject,
  optionalString,
  own,
  ownAny,
  parseEpoch,
  parseIsoDate,
  requiredString,
  unwrapEventBridge,
  unwrapList,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import type { Parser, Principal, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import {
  instanceFamilyOf,
  isAwsInstanceType,
  isGpuInstanceType,
  mentionsMinerProcess,
  RESOURCE_HIJACKING,
} from '#src/connectors/taxonomy.js';

export const CLOUDTRAIL_SOURCE = 'aws.cloudtrail';

/** API calls that start or enlarge paid compute: what an attacker with a leaked key calls to mine. */
export const COST_INCURRING_EVENTS: ReadonlySet<string> = new Set([
  'RunInstances',
  'StartInstances',
  'ModifyInstanceAttribute',
  'RequestSpotInstances',
  'RequestSpotFleet',
  'CreateFleet',
  'CreateAutoScalingGroup',
  'UpdateAutoScalingGroup',
  'CreateFunction',
  'CreateFunction20150331',
  'RegisterTaskDefinition',
  'CreateCluster',
  'CreateNodegroup',
]);

const SPOT_EVENTS: ReadonlySet<string> = new Set(['RequestSpotInstances', 'RequestSpotFleet']);

const CLOUDTRAIL_DETAIL_TYPES = ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail', 'AWS Service Event via CloudTrail'];

const recordSchema = z.looseObject(
  {
    eventID: requiredString,
    eventName: requiredString,
    eventSource: requiredString,
    eventTime: isoDateString,
    awsRegion: requiredString,
    recipientAccountId: optionalString,
    userIdentity: optionalObject,
    sourceIPAddress: optionalString,
    userAgent: optionalString,
    errorCode: optionalString,
    errorMessage: optionalString,
  },
  { error: 'a CloudTrail record must be a JSON object' },
);

type CloudTrailRecord = z.infer<typeof recordSchema>;

// Request parameters nest differently per API (RunInstances, CreateFleet overrides, spot fleet
// launch specifications, Auto Scaling mixed-instances policies); these searches read them all.
const SEARCH_DEPTH = 12;

function collectStrings(value: unknown, keyPattern: RegExp, out: string[] = [], depth = 0): string[] {
  if (depth > SEARCH_DEPTH) return out;
  if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, keyPattern, out, depth + 1);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (keyPattern.test(key)) {
        for (const s of [child, ...asArray(child), dig(child, 'value')]) if (typeof s === 'string') out.push(s);
      }
      collectStrings(child, keyPattern, out, depth + 1);
    }
  }
  return out;
}

function instanceTypesOf(record: JsonObject): string[] {
  const launched = asArray(dig(record, 'responseElements', 'instancesSet', 'items')).map((i) => dig(i, 'instanceType'));
  const requested = collectStrings(own(record, 'requestParameters'), /^instanceTypes?$/i);
  const all = [...launched, ...requested].filter((t): t is string => typeof t === 'string' && isAwsInstanceType(t));
  return [...new Set(all)];
}

function instanceCountOf(record: JsonObject, eventName: string): number | null {
  const params = own(record, 'requestParameters');
  const launched = asArray(dig(record, 'responseElements', 'instancesSet', 'items'));
  if (eventName === 'RunInstances' || eventName === 'StartInstances') {
    if (launched.length > 0) return launched.length;
    const requested = asArray(dig(params, 'instancesSet', 'items'));
    return asNumber(dig(requested[0], 'maxCount')) ?? (requested.length > 0 ? requested.length : null);
  }
  return (
    asNumber(dig(params, 'instanceCount')) ??
    asNumber(dig(params, 'desiredCapacity')) ??
    asNumber(dig(params, 'scalingConfig', 'desiredSize')) ??
    asNumber(dig(params, 'spotFleetRequestConfig', 'targetCapacity')) ??
    null
  );
}

function isSpot(record: JsonObject, eventName: string): boolean {
  if (SPOT_EVENTS.has(eventName)) return true;
  const params = own(record, 'requestParameters');
  const markets = collectStrings(params, /^(marketType|defaultTargetCapacityType)$/i);
  return markets.some((m) => m.toLowerCase() === 'spot');
}

function resourcesOf(record: CloudTrailRecord, accountId: string): ResourceRef[] {
  if (record.errorCode) return [];
  const base = { provider: 'aws' as const, accountId, region: record.awsRegion };
  const response = own(record, 'responseElements');
  const params = own(record, 'requestParameters');
  const ref = (type: string, id: unknown, instanceType?: string | null): ResourceRef[] =>
    typeof id === 'string' && id.length > 0 ? [{ ...base, type, id, ...(instanceType !== undefined ? { instanceType } : {}) }] : [];

  switch (record.eventName) {
    case 'RunInstances':
      return asArray(dig(response, 'instancesSet', 'items')).flatMap((i) =>
        ref('aws.ec2.instance', dig(i, 'instanceId'), asString(dig(i, 'instanceType')) ?? asString(dig(params, 'instanceType'))),
      );
    case 'StartInstances': {
      const items = asArray(dig(response, 'instancesSet', 'items'));
      return (items.length > 0 ? items : asArray(dig(params, 'instancesSet', 'items'))).flatMap((i) =>
        ref('aws.ec2.instance', dig(i, 'instanceId')),
      );
    }
    case 'ModifyInstanceAttribute':
      return ref('aws.ec2.instance', dig(params, 'instanceId'), asString(dig(params, 'instanceType', 'value')));
    case 'RequestSpotInstances':
      return asArray(dig(response, 'spotInstanceRequestSet', 'items')).flatMap((i) =>
        ref('aws.ec2.spot-instance-request', dig(i, 'spotInstanceRequestId')),
      );
    case 'CreateFunction':
    case 'CreateFunction20150331':
      return ref('aws.lambda.function', dig(response, 'functionArn') ?? dig(params, 'functionName'));
    case 'CreateAccessKey':
      return ref('aws.iam.access-key', dig(response, 'accessKey', 'accessKeyId'));
    case 'CreateAutoScalingGroup':
    case 'UpdateAutoScalingGroup':
      return ref('aws.autoscaling.group', dig(params, 'autoScalingGroupName'));
    case 'CreateNodegroup':
      return ref('aws.eks.nodegroup', dig(response, 'nodegroup', 'nodegroupArn'));
    case 'RegisterTaskDefinition':
      return ref('aws.ecs.task-definition', dig(response, 'taskDefinition', 'taskDefinitionArn'));
    case 'CreateCluster':
      return record.eventSource === 'eks.amazonaws.com'
        ? ref('aws.eks.cluster', dig(response, 'cluster', 'arn'))
        : ref('aws.ecs.cluster', dig(response, 'cluster', 'clusterArn'));
    default:
      return [];
  }
}

function principalOf(record: CloudTrailRecord): Principal {
  const identity = asObject(record.userIdentity);
  const arn = asString(identity?.['arn']);
  // An assumed-role ARN ends in the session name, usually the human or workload behind the role.
  const session = arn && /:assumed-role\/[^/]+\/(.+)$/.exec(arn)?.[1];
  return {
    identity: arn ?? asString(identity?.['principalId']) ?? asString(identity?.['invokedBy']),
    name: asString(identity?.['userName']) ?? session ?? asString(dig(identity, 'sessionContext', 'sessionIssuer', 'userName')),
    accessKeyId: asString(identity?.['accessKeyId']),
    sourceIp: record.sourceIPAddress ?? null,
    userAgent: record.userAgent ?? null,
  };
}

function severityOf(mining: boolean, gpu: boolean, costIncurring: boolean, attempted: boolean): Severity {
  if (mining) return 'HIGH';
  if (gpu && attempted) return 'MEDIUM';
  return costIncurring ? 'LOW' : 'INFO';
}

function toSignal(record: CloudTrailRecord, item: Item, issues: IssueList): Signal | null {
  const accountId =
    record.recipientAccountId ??
    asString(dig(record.userIdentity, 'accountId')) ??
    (item.envelope ? asString(own(item.envelope, 'account')) : null);
  if (!accountId) {
    issues.add(item.index, joinPointer(item.pointer, ['recipientAccountId']), 'is required (or userIdentity.accountId)');
    return null;
  }
  const eventName = record.eventName;
  const eventTime = parseIsoDate(record.eventTime)!.toISOString();
  const knownCostCall = COST_INCURRING_EVENTS.has(eventName);
  // A refused call (VcpuLimitExceeded, UnauthorizedOperation) starts nothing and costs nothing,
  // but trying to launch GPUs is still worth a look.
  const costIncurring = knownCostCall && !record.errorCode;
  const instanceTypes = instanceTypesOf(record);
  const instanceType = instanceTypes[0] ?? null;
  const gpu = instanceTypes.some(isGpuInstanceType);
  const minerIndicator =
    collectStrings(own(record, 'requestParameters'), /^(image|imageUri|command|entryPoint)$/).find(mentionsMinerProcess) ?? null;
  const mining = minerIndicator !== null;
  const principal = principalOf(record);
  const instanceCount = instanceCountOf(record, eventName);

  const launch = instanceType ? `: ${instanceCount ?? 1} × ${instanceType}` : '';
  const who = principal.name ?? principal.identity ?? 'unknown caller';
  const failure = record.errorCode ? ` failed (${record.errorCode})` : '';

  const attributes: JsonObject = {
    eventName,
    eventSource: record.eventSource,
    instanceType,
    instanceTypes,
    instanceFamily: instanceType ? instanceFamilyOf(instanceType) : null,
    gpuInstance: gpu,
    instanceCount,
    errorCode: record.errorCode ?? null,
    errorMessage: record.errorMessage ?? null,
    costIncurring,
    spot: isSpot(record, eventName),
    readOnly: own(record, 'readOnly') === true || own(record, 'readOnly') === 'true',
    userIdentityType: asString(dig(record.userIdentity, 'type')),
    // Tags the caller put on what it launched ([{ key, value }]); suppression rules match on them.
    tags: asArray(dig(own(record, 'requestParameters'), 'tagSpecificationSet', 'items')).flatMap((spec) => asArray(dig(spec, 'tags'))),
  };
  if (mining) {
    attributes['minerIndicator'] = minerIndicator;
    attributes['techniques'] = [RESOURCE_HIJACKING];
  }

  return {
    source: CLOUDTRAIL_SOURCE,
    sourceId: record.eventID,
    sourceVersion: eventTime,
    kind: 'provisioning',
    provider: 'aws',
    accountId,
    region: record.awsRegion,
    observedAt: eventTime,
    observedUntil: eventTime,
    severity: severityOf(mining, gpu, costIncurring, knownCostCall),
    title: `${eventName}${launch} by ${who}${failure}`,
    mining,
    resources: resourcesOf(record, accountId),
    principal,
    cost: null,
    attributes,
    raw: item.value,
  };
}

/**
 * A LookupEvents entry: the record is the JSON string in `CloudTrailEvent`. The entry's own
 * `EventId`, `EventName`, `EventSource` and `EventTime` fill in what the record lacks.
 */
function lookupRecord(item: Item, issues: IssueList): Item | null {
  const entry = asObject(item.value);
  if (!entry) {
    issues.add(item.index, item.pointer, 'a LookupEvents entry must be a JSON object');
    return null;
  }
  const key = Object.hasOwn(entry, 'CloudTrailEvent') ? 'CloudTrailEvent' : 'cloudTrailEvent';
  const decoded = decodeJsonString(item, key, issues);
  if (!decoded) return null;
  const record = decoded.value as JsonObject;
  const time = ownAny(entry, ['EventTime', 'eventTime'])?.value;
  const eventTime = parseEpoch(time, 's') ?? parseIsoDate(time);
  const fill: JsonObject = {};
  for (const [target, sources] of [
    ['eventID', ['EventId', 'eventId']],
    ['eventName', ['EventName', 'eventName']],
    ['eventSource', ['EventSource', 'eventSource']],
  ] as const) {
    const value = ownAny(entry, sources)?.value;
    if (!Object.hasOwn(record, target) && typeof value === 'string') fill[target] = value;
  }
  if (!Object.hasOwn(record, 'eventTime') && eventTime) fill['eventTime'] = eventTime.toISOString();
  return { ...decoded, value: Object.keys(fill).length > 0 ? { ...record, ...fill } : record };
}

export const parseCloudTrail: Parser = (body) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  const isLookup = isObject(body) && ownAny(body, ['Events', 'events']) !== null;
  for (const listed of unwrapList(body, ['Records', 'Events', 'events'], issues)) {
    const item = isLookup ? lookupRecord(listed, issues) : unwrapEventBridge(listed, CLOUDTRAIL_DETAIL_TYPES, issues);
    if (!item) continue;
    const result = recordSchema.safeParse(item.value);
    if (!result.success) {
      issues.addZod(result.error, item);
      continue;
    }
    const signal = toSignal(result.data, item, issues);
    if (signal) signals.push(signal);
  }
  issues.throwIfAny();
  return { signals, ignored: 0 };
};
