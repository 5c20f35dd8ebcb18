/**
 * `azure.activity-log`: Azure Resource Manager operations (the Administrative category of the
 * Activity Log), as
 * - records exported by a diagnostic setting to Event Hubs or Storage (`{"records": [{"time",
 *   "resourceId", "operationName": "MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE", "category",
 *   "resultType", "resultSignature", "callerIpAddress", "correlationId", "identity": {"claims",
 *   "authorization"}, "level", "properties"}]}`), one record or an array of them;
 * - the Activity Log REST API's list response (`{"value": [{"eventDataId", "eventTimestamp",
 *   "operationName": {"value"}, "status": {"value"}, "caller", "claims", "httpRequest", …}],
 *   "nextLink"}`), as `az monitor activity-log list` prints it;
 * - Event Grid `Microsoft.Resources.Resource{Write,Delete,Action}{Success,Failure,Cancel}` events of
 *   a subscription or resource group topic (Event Grid or CloudEvents schema).
 *
 * ARM logs an operation several times (Started, Accepted, then Succeeded or Failed). Only the
 * outcome becomes a signal; the earlier events are counted as ignored, but the request body that
 * only the Started event carries (`properties.requestbody`: the VM size, the container image) is
 * read into the outcome's signal when both arrive in the same request. Records of the other
 * categories (Security, Policy, ServiceHealth …) and other diagnostic logs are ignored.
 */
import { z } from 'zod';

import {
  asArray,
  asNumber,
  asObject,
  asString,
  dig,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalObject,
  optionalString,
  own,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import {
  armResourceRefs,
  armTypeOf,
  azureRegion,
  callerPrincipal,
  eventGridTime,
  eventGridType,
  isEventGridEvent,
  parseArmId,
  subscriptionId,
  subscriptionOf,
} from '#src/connectors/azure/arm.js';
import { COST_INCURRING_OPERATIONS } from '#src/connectors/azure/azure-taxonomy.js';
import type { Parser, Principal, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import { instanceFamilyOf, isGpuInstanceType, mentionsMinerProcess, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export const ACTIVITY_LOG_SOURCE = 'azure.activity-log';

/** Where an operation stands. Only outcomes (succeeded, failed, canceled) become signals. */
type Phase = 'started' | 'accepted' | 'succeeded' | 'failed' | 'canceled' | 'other';

/**
 * The status words of the three channels: the export's resultType (`Start`, `Success`, `Failure`),
 * the REST status (`Started`, `Accepted`, `Succeeded`, `Failed`, `Canceled`) and Event Grid's event
 * type suffix (`Success`, `Failure`, `Cancel`).
 */
export function phaseOf(status: string | null | undefined): Phase {
  const s = (status ?? '').trim().toLowerCase();
  if (s.startsWith('start')) return 'started';
  if (s.startsWith('accept')) return 'accepted';
  if (s.startsWith('succe')) return 'succeeded';
  if (s.startsWith('fail')) return 'failed';
  if (s.startsWith('cancel')) return 'canceled';
  return 'other';
}

const OUTCOMES: ReadonlySet<Phase> = new Set(['succeeded', 'failed', 'canceled']);

// The export writes the category as Administrative, or (before 2020) as Write, Delete or Action.
const ADMINISTRATIVE = new Set(['administrative', 'write', 'delete', 'action']);

const EVENT_GRID_TYPES = /^Microsoft\.Resources\.Resource(Write|Delete|Action)(Success|Failure|Cancel)$/;

const recordSchema = z.looseObject(
  {
    time: isoDateString,
    resourceId: requiredString,
    operationName: requiredString,
    category: optionalString,
    resultType: optionalString,
    resultSignature: optionalString,
    callerIpAddress: optionalString,
    correlationId: requiredString,
    identity: optionalObject,
    level: z.union([z.string(), z.number()], { error: 'must be a string' }).optional(),
    properties: optionalObject,
  },
  { error: 'an Activity Log record must be a JSON object' },
);

const localized = (error: string) =>
  z.looseObject({ value: z.string().nullable().optional(), localizedValue: z.string().nullable().optional() }, { error }).optional();

const restEventSchema = z.looseObject(
  {
    eventDataId: optionalString,
    correlationId: requiredString,
    eventTimestamp: isoDateString,
    operationName: z.looseObject(
      { value: requiredString },
      {
        error: (i) =>
          i.input === undefined ? 'is required' : 'must be an object such as {"value": "Microsoft.Compute/virtualMachines/write"}',
      },
    ),
    status: localized('must be an object such as {"value": "Succeeded"}'),
    subStatus: localized('must be an object'),
    category: localized('must be an object such as {"value": "Administrative"}'),
    resourceId: requiredString,
    subscriptionId: optionalString,
    caller: optionalString,
    claims: optionalObject,
    httpRequest: optionalObject,
    properties: optionalObject,
  },
  { error: 'an Activity Log event must be a JSON object' },
);

const eventGridDataSchema = z.looseObject(
  {
    operationName: requiredString,
    resourceUri: requiredString,
    correlationId: requiredString,
    status: optionalString,
    subscriptionId: optionalString,
    claims: optionalObject,
    httpRequest: optionalObject,
  },
  { error: 'must be an object' },
);

/** One ARM operation event, whatever channel it came through. */
interface Operation {
  item: Item;
  operationName: string;
  time: Date;
  resourceId: string;
  /** The field the resource id came from (`resourceUri` in Event Grid). */
  resourceField: string;
  subscriptionId: string | null;
  correlationId: string;
  phase: Phase;
  claims: unknown;
  caller: string | null;
  sourceIp: string | null;
  properties: JsonObject;
  eventDataId: string | null;
  /** Failure details the channel gives besides properties.statusMessage. */
  subStatus: string | null;
}

// ---------------------------------------------------------------------------------------------
// Reading the three channels

function fromRecord(item: Item, issues: IssueList): Operation | null {
  // Records are camelCase apart from a few PascalCase extras (`RoleLocation`, `Level`), so they are
  // read as they are: camelizing would spell missing fields in PascalCase.
  const result = recordSchema.safeParse(item.value);
  if (!result.success) {
    issues.addZod(result.error, item);
    return null;
  }
  const r = result.data;
  const identity = asObject(r.identity);
  const properties = r.properties ?? {};
  const signature = r.resultSignature ?? '';
  return {
    item,
    operationName: r.operationName,
    time: parseIsoDate(r.time)!,
    resourceId: r.resourceId,
    resourceField: 'resourceId',
    subscriptionId: null,
    correlationId: r.correlationId,
    phase: phaseOf(r.resultType ?? signature),
    claims: identity ? own(identity, 'claims') : undefined,
    caller: null,
    sourceIp: r.callerIpAddress ?? null,
    properties,
    eventDataId: null,
    // resultSignature is `Succeeded.Created` or `Failed.Conflict`: the part after the dot is the HTTP status.
    subStatus: signature.includes('.') ? signature.slice(signature.indexOf('.') + 1) || null : null,
  };
}

function fromRest(item: Item, issues: IssueList): Operation | null {
  const result = restEventSchema.safeParse(item.value);
  if (!result.success) {
    issues.addZod(result.error, item);
    return null;
  }
  const e = result.data;
  return {
    item,
    operationName: e.operationName.value,
    time: parseIsoDate(e.eventTimestamp)!,
    resourceId: e.resourceId,
    resourceField: 'resourceId',
    subscriptionId: e.subscriptionId ?? null,
    correlationId: e.correlationId,
    phase: phaseOf(e.status?.value),
    claims: e.claims,
    caller: e.caller ?? null,
    sourceIp: asString(dig(e.httpRequest, 'clientIpAddress')),
    properties: e.properties ?? {},
    eventDataId: e.eventDataId ?? null,
    subStatus: asString(e.subStatus?.value),
  };
}

function fromEventGrid(item: Item, issues: IssueList): Operation | null {
  const event = item.value as JsonObject;
  const typeKey = Object.hasOwn(event, 'eventType') ? 'eventType' : 'type';
  const eventType = eventGridType(event);
  const match = typeof eventType === 'string' ? EVENT_GRID_TYPES.exec(eventType) : null;
  if (!match) {
    issues.add(
      item.index,
      joinPointer(item.pointer, [typeKey]),
      `unsupported Event Grid event type ${JSON.stringify(eventType)}; expected Microsoft.Resources.ResourceWriteSuccess or another Microsoft.Resources.Resource{Write,Delete,Action}{Success,Failure,Cancel}`,
    );
    return null;
  }
  const timeKey = Object.hasOwn(event, 'eventTime') ? 'eventTime' : 'time';
  const time = parseIsoDate(eventGridTime(event));
  if (!time) {
    issues.add(
      item.index,
      joinPointer(item.pointer, [timeKey]),
      'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
    );
  }
  const dataItem: Item = { value: own(event, 'data'), index: item.index, pointer: joinPointer(item.pointer, ['data']), envelope: event };
  const result = eventGridDataSchema.safeParse(dataItem.value);
  if (!result.success) {
    issues.addZod(result.error, dataItem);
    return null;
  }
  if (!time) return null;
  const d = result.data;
  return {
    item: dataItem,
    operationName: d.operationName,
    time,
    resourceId: d.resourceUri,
    resourceField: 'resourceUri',
    subscriptionId: d.subscriptionId ?? null,
    correlationId: d.correlationId,
    phase: phaseOf(match[2]),
    claims: d.claims,
    caller: null,
    sourceIp: asString(dig(d.httpRequest, 'clientIpAddress')),
    properties: {},
    eventDataId: null,
    subStatus: null,
  };
}

/** Whether an item is an Administrative event; other categories are dropped unread. */
function isAdministrative(value: JsonObject): boolean {
  const category = own(value, 'category') ?? own(value, 'Category');
  const name = isObject(category) ? own(category, 'value') : category;
  const eventCategory = dig(value, 'properties', 'eventCategory');
  if (typeof eventCategory === 'string') return eventCategory.toLowerCase() === 'administrative';
  // The export leaves properties.eventCategory out for Administrative records only.
  return typeof name !== 'string' || ADMINISTRATIVE.has(name.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Request and response bodies

/** A property whatever its casing: the Activity Log writes both `requestbody` and `requestBody`. */
function property(properties: JsonObject, name: string): unknown {
  const key = Object.keys(properties).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : properties[key];
}

/** A body the Activity Log carries as a JSON string (or, from some forwarders, already decoded). */
function jsonProperty(properties: JsonObject, name: string): JsonObject | null {
  const value = property(properties, name);
  if (isObject(value)) return value;
  if (typeof value !== 'string' || value.trim() === '') return null;
  try {
    return asObject(JSON.parse(value));
  } catch {
    // ARM truncates long bodies; a body that does not parse is left unread.
    return null;
  }
}

const SEARCH_DEPTH = 12;

function collectStrings(value: unknown, keyPattern: RegExp, out: string[] = [], depth = 0): string[] {
  if (depth > SEARCH_DEPTH) return out;
  if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, keyPattern, out, depth + 1);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (keyPattern.test(key)) {
        for (const s of [child, ...asArray(child)]) if (typeof s === 'string') out.push(s);
      }
      collectStrings(child, keyPattern, out, depth + 1);
    }
  }
  return out;
}

const AZURE_VM_SIZE = /^(?:standard|basic)_[a-z0-9_-]+$/i;

/** VM sizes a request names: `hardwareProfile.vmSize`, agent pools' and Batch pools' `vmSize`, a scale set's `sku.name`. */
function vmSizesOf(body: JsonObject | null): string[] {
  if (!body) return [];
  const sizes = [...collectStrings(body, /^vmSize$/i), asString(dig(body, 'sku', 'name'))];
  return [...new Set(sizes.filter((s): s is string => s !== null && AZURE_VM_SIZE.test(s)))];
}

/** How many machines a request asks for, where the resource type says where to look. */
function instanceCountOf(resourceType: string, body: JsonObject | null): number | null {
  if (!body) return null;
  switch (resourceType) {
    case 'microsoft.compute/virtualmachines':
      return 1;
    case 'microsoft.compute/virtualmachinescalesets':
      return asNumber(dig(body, 'sku', 'capacity'));
    case 'microsoft.containerservice/managedclusters/agentpools':
      return asNumber(dig(body, 'properties', 'count'));
    case 'microsoft.containerservice/managedclusters': {
      const counts = asArray(dig(body, 'properties', 'agentPoolProfiles')).map((p) => asNumber(dig(p, 'count')));
      return counts.some((c) => c !== null) ? counts.reduce<number>((sum, c) => sum + (c ?? 0), 0) : null;
    }
    case 'microsoft.batch/batchaccounts/pools': {
      const fixed = dig(body, 'properties', 'scaleSettings', 'fixedScale');
      const dedicated = asNumber(dig(fixed, 'targetDedicatedNodes'));
      const low = asNumber(dig(fixed, 'targetLowPriorityNodes'));
      return dedicated === null && low === null ? null : (dedicated ?? 0) + (low ?? 0);
    }
    case 'microsoft.machinelearningservices/workspaces/computes':
      return asNumber(dig(body, 'properties', 'properties', 'scaleSettings', 'maxNodeCount'));
    default:
      return null;
  }
}

/** Tags as `[{ key, value }]`, the shape suppression rules match on. */
function tagsOf(body: JsonObject | null): { key: string; value: string }[] {
  const tags = body ? asObject(own(body, 'tags')) : null;
  return tags
    ? Object.entries(tags)
        .filter(([, v]) => typeof v === 'string')
        .map(([key, value]) => ({ key, value: value as string }))
    : [];
}

/** The error ARM reports for a failed operation: `properties.statusMessage` is a JSON string `{"error": {"code", "message"}}`. */
function errorOf(op: Operation): { code: string | null; message: string | null } {
  const status = jsonProperty(op.properties, 'statusmessage');
  const error = asObject(status ? (own(status, 'error') ?? status) : null);
  const code = asString(dig(error, 'code')) ?? asString(property(op.properties, 'statuscode')) ?? op.subStatus;
  return { code: code ?? (op.phase === 'failed' ? 'Failed' : 'Canceled'), message: asString(dig(error, 'message')) };
}

// ---------------------------------------------------------------------------------------------
// Signals

function severityOf(mining: boolean, gpu: boolean, costIncurring: boolean, attempted: boolean): Severity {
  if (mining) return 'HIGH';
  if (gpu && attempted) return 'MEDIUM';
  return costIncurring ? 'LOW' : 'INFO';
}

/** Identifies an operation across channels: the export and Event Grid carry no eventDataId, but all three carry these. */
function operationKey(op: Pick<Operation, 'correlationId' | 'operationName' | 'resourceId'>): string {
  return [op.correlationId, op.operationName.toLowerCase(), op.resourceId.toLowerCase()].join('|');
}

function toSignal(op: Operation, startedBody: JsonObject | null, issues: IssueList): Signal | null {
  const accountId = subscriptionOf(op.resourceId) ?? subscriptionId(op.subscriptionId);
  if (!accountId) {
    issues.add(
      op.item.index,
      joinPointer(op.item.pointer, [op.resourceField]),
      'must be an ARM resource id starting /subscriptions/{subscriptionId}',
    );
    return null;
  }
  const operation = op.operationName.toLowerCase();
  const arm = parseArmId(op.resourceId);
  const resourceType = arm ? armTypeOf(arm) : '';
  const request = jsonProperty(op.properties, 'requestbody') ?? startedBody;
  const response = jsonProperty(op.properties, 'responsebody');
  const sizes = [...new Set([...vmSizesOf(response), ...vmSizesOf(request)])];
  const instanceType = sizes[0] ?? null;
  const gpu = sizes.some(isGpuInstanceType);
  const body = response ?? request;
  const region = azureRegion(asString(dig(response, 'location')) ?? asString(dig(request, 'location')));

  const succeeded = op.phase === 'succeeded';
  const knownCostOperation = COST_INCURRING_OPERATIONS.has(operation);
  // A refused write (quota exceeded, SKU not available, policy deny) starts nothing and costs nothing.
  const costIncurring = knownCostOperation && succeeded;
  const minerIndicator =
    collectStrings(request ?? response, /^(image|commandToExecute|script|scriptUri|commandLine|command|args|fileUris|source)$/i).find(
      mentionsMinerProcess,
    ) ?? null;
  const mining = minerIndicator !== null;
  const principal: Principal | null = callerPrincipal(op.claims, op.caller, op.sourceIp);
  const error = succeeded ? { code: null, message: null } : errorOf(op);
  const instanceCount = instanceCountOf(resourceType, request ?? response);
  const priorities = collectStrings(body, /^(priority|scaleSetPriority)$/i).map((p) => p.toLowerCase());

  const resources: ResourceRef[] =
    op.phase === 'failed' || op.phase === 'canceled' ? [] : armResourceRefs(op.resourceId, region, instanceType);
  const launch = instanceType ? `: ${instanceCount ?? 1} × ${instanceType}` : '';
  const who = principal?.name ?? principal?.identity ?? 'unknown caller';
  const outcome = succeeded ? '' : ` ${op.phase}${error.code && error.code.toLowerCase() !== op.phase ? ` (${error.code})` : ''}`;
  const time = op.time.toISOString();

  const attributes: JsonObject = {
    eventName: op.operationName,
    status: op.phase,
    resourceType,
    instanceType,
    instanceTypes: sizes,
    instanceFamily: instanceType ? instanceFamilyOf(instanceType) : null,
    gpuInstance: gpu,
    instanceCount,
    errorCode: error.code,
    errorMessage: error.message,
    costIncurring,
    spot: priorities.includes('spot'),
    correlationId: op.correlationId,
    eventDataId: op.eventDataId,
    tags: tagsOf(request ?? response),
  };
  if (mining) {
    attributes['minerIndicator'] = minerIndicator;
    attributes['techniques'] = [RESOURCE_HIJACKING];
  }

  return {
    source: ACTIVITY_LOG_SOURCE,
    sourceId: `${operationKey(op)}|${op.phase}`,
    // The same outcome reaches MineWatch through up to three channels; the one that carried the
    // request body says more, so it wins over one that did not, whichever arrives later.
    sourceVersion: `${request ? 1 : 0}#${time}`,
    kind: 'provisioning',
    provider: 'azure',
    accountId,
    region,
    observedAt: time,
    observedUntil: time,
    severity: severityOf(mining, gpu, costIncurring, knownCostOperation),
    title: `${op.operationName}${launch} by ${who}${outcome}`,
    mining,
    resources,
    principal,
    cost: null,
    attributes,
    raw: op.item.value,
  };
}

function readItem(item: Item, issues: IssueList): Operation | 'ignored' | null {
  const value = item.value;
  if (isEventGridEvent(value)) return fromEventGrid(item, issues);
  if (!isObject(value)) {
    issues.add(item.index, item.pointer, 'an Activity Log record must be a JSON object');
    return null;
  }
  if (!isAdministrative(value)) return 'ignored';
  return isObject(own(value, 'operationName')) || Object.hasOwn(value, 'eventTimestamp')
    ? fromRest(item, issues)
    : fromRecord(item, issues);
}

export const parseActivityLog: Parser = (body) => {
  const issues = new IssueList();
  const operations: Operation[] = [];
  let ignored = 0;
  for (const item of unwrapList(body, ['records', 'value'], issues)) {
    const read = readItem(item, issues);
    if (read === 'ignored') ignored += 1;
    else if (read) operations.push(read);
  }
  // The request body of a write rides on its Started event only.
  const startedBodies = new Map<string, JsonObject>();
  for (const op of operations) {
    const requestBody = op.phase === 'started' ? jsonProperty(op.properties, 'requestbody') : null;
    if (requestBody) startedBodies.set(operationKey(op), requestBody);
  }
  const signals: Signal[] = [];
  for (const op of operations) {
    if (!OUTCOMES.has(op.phase)) {
      ignored += 1;
      continue;
    }
    const signal = toSignal(op, startedBodies.get(operationKey(op)) ?? null, issues);
    if (signal) signals.push(signal);
  }
  issues.throwIfAny();
  return { signals, ignored };
};
