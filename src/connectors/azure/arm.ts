/**
 * Azure plumbing shared by the Azure parsers: reading ARM resource ids (whatever their casing),
 * naming the resources MineWatch links on, region names, the caller in Entra ID token claims,
 * ISO 8601 durations and Event Grid envelopes. Nothing here is specific to one source.
 */
import { asString, dig, isObject, joinPointer, own, type IssueList, type Item, type JsonObject } from '#src/connectors/common.js';
import type { Principal, ResourceRef } from '#src/connectors/signal.js';

// ---------------------------------------------------------------------------------------------
// ARM resource ids

/** A parsed ARM resource id. The Activity Log upper-cases ids, the APIs do not: matching ignores case. */
export interface ArmId {
  /** The resource's own id in the spelling it came in, without any extension suffix. */
  id: string;
  subscriptionId: string;
  resourceGroup: string | null;
  /** Provider namespace as given, e.g. `Microsoft.Compute`; null for a subscription or resource group id. */
  namespace: string | null;
  /** Nested resource types, e.g. `['virtualMachineScaleSets', 'virtualMachines']`. */
  types: string[];
  names: string[];
  /** The ids of the enclosing resources, innermost last but one: the VMSS of an instance, the cluster of an agent pool. */
  ancestors: string[];
}

/**
 * Parses `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{type}/{name}…]`.
 * An extension resource appended to it (`…/providers/Microsoft.Insights/metrics/Percentage CPU`,
 * `…/providers/Microsoft.Security/locations/…`) is cut off: the id is the resource it extends.
 * Ids that do not start with a subscription (management groups, `/providers/Microsoft.Capacity/…`)
 * give null.
 */
export function parseArmId(value: string): ArmId | null {
  const segments = value.trim().replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  if (segments.length < 2 || segments[0]!.toLowerCase() !== 'subscriptions' || segments[1] === '') return null;
  // Subscription ids are GUIDs that the Activity Log and cost exports sometimes upper-case; accounts
  // are compared as strings, so every Azure parser reports them in lower case.
  const subscriptionId = segments[1]!.toLowerCase();
  const join = (end: number): string => `/${segments.slice(0, end).join('/')}`;
  let i = 2;
  let resourceGroup: string | null = null;
  if (segments[i]?.toLowerCase() === 'resourcegroups' && segments[i + 1]) {
    resourceGroup = segments[i + 1]!;
    i += 2;
  }
  if (segments[i]?.toLowerCase() !== 'providers' || !segments[i + 1]) {
    return { id: join(i), subscriptionId, resourceGroup, namespace: null, types: [], names: [], ancestors: [] };
  }
  const namespace = segments[i + 1]!;
  i += 2;
  const types: string[] = [];
  const names: string[] = [];
  const ends: number[] = [];
  while (i + 1 < segments.length && segments[i]!.toLowerCase() !== 'providers') {
    types.push(segments[i]!);
    names.push(segments[i + 1]!);
    i += 2;
    ends.push(i);
  }
  if (types.length === 0) return null;
  return {
    id: join(ends.at(-1)!),
    subscriptionId,
    resourceGroup,
    namespace,
    types,
    names,
    ancestors: ends.slice(0, -1).map(join),
  };
}

/** The subscription (lower case) an ARM id, or any `/subscriptions/{id}/…` path, belongs to. */
export function subscriptionOf(value: string | null | undefined): string | null {
  if (!value) return null;
  return /^\/?subscriptions\/([^/]+)/i.exec(value.trim())?.[1]?.toLowerCase() ?? null;
}

/** A subscription id as given by a field of its own, in the lower case the ARM ids give. */
export function subscriptionId(value: string | null | undefined): string | null {
  const id = value?.trim().toLowerCase();
  return id ? id : null;
}

/** `namespace/type[/type…]` in lower case: `microsoft.compute/virtualmachinescalesets/virtualmachines`. */
export function armTypeOf(arm: ArmId): string {
  return [arm.namespace ?? '', ...arm.types].join('/').toLowerCase();
}

/**
 * MineWatch resource types of the Azure resources miners run on. A child resource that is not
 * billed by itself (a VM extension, a web app slot) is reported as its parent, which is what the
 * other sources name; a child that is (a VMSS instance, an AKS agent pool, a Batch pool) is reported
 * together with its parent so that either id links.
 */
const RESOURCE_TYPES: Readonly<Record<string, { type: string; as?: 'self' | 'parent' }>> = {
  'microsoft.compute/virtualmachines': { type: 'azure.compute.vm' },
  'microsoft.compute/virtualmachines/extensions': { type: 'azure.compute.vm', as: 'parent' },
  'microsoft.compute/virtualmachines/runcommands': { type: 'azure.compute.vm', as: 'parent' },
  'microsoft.compute/virtualmachinescalesets': { type: 'azure.compute.vmss' },
  'microsoft.compute/virtualmachinescalesets/extensions': { type: 'azure.compute.vmss', as: 'parent' },
  'microsoft.compute/virtualmachinescalesets/virtualmachines': { type: 'azure.compute.vmss-instance' },
  'microsoft.containerservice/managedclusters': { type: 'azure.aks.cluster' },
  'microsoft.containerservice/managedclusters/agentpools': { type: 'azure.aks.agent-pool' },
  'microsoft.web/sites': { type: 'azure.appservice.site' },
  'microsoft.web/sites/slots': { type: 'azure.appservice.site', as: 'parent' },
  'microsoft.web/serverfarms': { type: 'azure.appservice.plan' },
  'microsoft.containerinstance/containergroups': { type: 'azure.aci.container-group' },
  'microsoft.batch/batchaccounts': { type: 'azure.batch.account' },
  'microsoft.batch/batchaccounts/pools': { type: 'azure.batch.pool' },
  'microsoft.machinelearningservices/workspaces': { type: 'azure.ml.workspace' },
  'microsoft.machinelearningservices/workspaces/computes': { type: 'azure.ml.compute' },
  'microsoft.app/containerapps': { type: 'azure.containerapps.app' },
  'microsoft.app/jobs': { type: 'azure.containerapps.job' },
};

/** `azure.<service>.<kind>` for any other ARM type: `Microsoft.Storage/storageAccounts` → `azure.storage.storageaccounts`. */
function genericType(arm: ArmId): string {
  const service = (arm.namespace ?? 'resources').toLowerCase().replace(/^microsoft\./, '');
  return `azure.${service}.${arm.types.map((t) => t.toLowerCase()).join('.')}`;
}

/**
 * The resources an ARM id names, innermost first, then its billed parent when it has one.
 * Ids are kept as given: the correlation engine compares them case-insensitively.
 */
export function armResourceRefs(value: string, region: string | null, instanceType: string | null = null): ResourceRef[] {
  const arm = parseArmId(value);
  if (!arm || arm.namespace === null) return [];
  const base = { provider: 'azure' as const, accountId: arm.subscriptionId, region };
  const known = RESOURCE_TYPES[armTypeOf(arm)];
  if (known?.as === 'parent') {
    const parent = parseArmId(arm.ancestors.at(-1)!);
    return parent ? armResourceRefs(parent.id, region, instanceType) : [];
  }
  const self: ResourceRef = { ...base, type: known?.type ?? genericType(arm), id: arm.id };
  if (instanceType) self.instanceType = instanceType;
  if (!known || arm.ancestors.length === 0) return [self];
  // A billed child (VMSS instance, agent pool, Batch pool, ML compute) also names its parent.
  const parent = parseArmId(arm.ancestors.at(-1)!);
  const parentKnown = parent ? RESOURCE_TYPES[armTypeOf(parent)] : undefined;
  return parent && parentKnown ? [self, { ...base, type: parentKnown.type, id: parent.id }] : [self];
}

// ---------------------------------------------------------------------------------------------
// Regions

const NO_REGION = new Set(['', 'unassigned', 'unknown', 'n/a', 'none', 'all regions']);

/**
 * A region as ARM names it (`eastus2`): Cost Management and the Activity Log also spell it
 * `EastUS2`, `East US 2` or `UK South`, which all reduce to the ARM name by dropping case and spaces.
 */
export function azureRegion(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const region = value.trim().toLowerCase().replace(/\s+/g, '');
  return NO_REGION.has(region) ? null : region;
}

// ---------------------------------------------------------------------------------------------
// Callers

const CLAIM = {
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
} as const;

/**
 * Who called ARM, from the Entra ID token claims the Activity Log and Event Grid carry. A user
 * is named by their UPN; an app-only token (a service principal, a managed identity) has no UPN,
 * so by its application id — the identity a leaked client secret acts as. `caller` (REST only)
 * comes after the claims so that the three channels name the same caller the same way.
 */
export function callerPrincipal(claims: unknown, caller: string | null, sourceIp: string | null): Principal | null {
  const claim = (key: string): string | null => (isObject(claims) ? asString(own(claims, key)) : null);
  const upn = claim(CLAIM.upn) ?? claim('upn') ?? claim('unique_name') ?? claim(CLAIM.name);
  const appId = claim('appid') ?? claim('azp');
  const objectId = claim(CLAIM.objectId) ?? claim('oid');
  const identity = upn?.trim() || appId || caller || objectId;
  const ip = sourceIp ?? claim('ipaddr');
  if (!identity && !ip) return null;
  const given = claim(CLAIM.givenName);
  const surname = claim(CLAIM.surname);
  return {
    identity: identity || null,
    name: claim('name') ?? (given && surname ? `${given} ${surname}` : null),
    accessKeyId: null,
    sourceIp: ip,
    userAgent: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Durations

/** ISO 8601 durations as Azure Monitor writes them (`PT1M`, `PT6H`, `P1D`); null when not one. */
export function durationSeconds(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim().toUpperCase());
  if (!m || value.trim().toUpperCase() === 'P' || value.trim().toUpperCase().endsWith('T')) return null;
  const seconds = Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3_600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return seconds > 0 ? seconds : null;
}

// ---------------------------------------------------------------------------------------------
// Event Grid

/**
 * Whether a value is an Event Grid event: the Event Grid schema (`eventType`, `data`, `eventTime`,
 * `dataVersion`) or the CloudEvents 1.0 schema (`specversion`, `type`, `data`).
 */
export function isEventGridEvent(value: unknown): value is JsonObject {
  if (!isObject(value) || !Object.hasOwn(value, 'data')) return false;
  const eventGrid = Object.hasOwn(value, 'eventType') && (Object.hasOwn(value, 'eventTime') || Object.hasOwn(value, 'dataVersion'));
  const cloudEvent = Object.hasOwn(value, 'specversion') && Object.hasOwn(value, 'type');
  return eventGrid || cloudEvent;
}

/** The event type of an Event Grid event in either schema. */
export function eventGridType(event: JsonObject): unknown {
  return Object.hasOwn(event, 'eventType') ? own(event, 'eventType') : own(event, 'type');
}

/** The event time of an Event Grid event in either schema. */
export function eventGridTime(event: JsonObject): unknown {
  return Object.hasOwn(event, 'eventTime') ? own(event, 'eventTime') : own(event, 'time');
}

/**
 * Replaces an Event Grid event by its `data`, checking the event type with `accept`; returns null
 * (after recording an issue) when the event is of another type or carries no object. Items that
 * are no Event Grid event pass through unchanged.
 */
export function unwrapEventGrid(item: Item, accept: (eventType: string) => boolean, expected: string, issues: IssueList): Item | null {
  const event = item.value;
  if (!isEventGridEvent(event)) return item;
  const typeKey = Object.hasOwn(event, 'eventType') ? 'eventType' : 'type';
  const eventType = eventGridType(event);
  if (typeof eventType !== 'string' || !accept(eventType)) {
    issues.add(
      item.index,
      joinPointer(item.pointer, [typeKey]),
      `unsupported Event Grid event type ${JSON.stringify(eventType)}; expected ${expected}`,
    );
    return null;
  }
  const data = own(event, 'data');
  if (!isObject(data)) {
    issues.add(
      item.index,
      joinPointer(item.pointer, ['data']),
      `must be an object, got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`,
    );
    return null;
  }
  return { value: data, index: item.index, pointer: joinPointer(item.pointer, ['data']), envelope: event };
}

/** `dig` for the common case of reading a string. */
export function digString(value: unknown, ...keys: string[]): string | null {
  return asString(dig(value, ...keys));
}
