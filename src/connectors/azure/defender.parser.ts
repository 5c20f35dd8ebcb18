/**
 * `azure.defender`: Microsoft Defender for Cloud security alerts, as
 * - ARM alert resources (`{"id", "name", "type": "Microsoft.Security/Locations/alerts", "properties": {…}}`),
 *   one, an array, or a list response (`{"value": [...], "nextLink"}`), as the Alerts REST API and
 *   Azure Resource Graph return them;
 * - continuous-export records as Defender streams them to Event Hubs and hands them to workflow
 *   automation: the alert's properties at the top level in PascalCase (`AlertType`, `StartTimeUtc`,
 *   `ResourceIdentifiers`, `AzureResourceId`, `Entities` …);
 * - rows of the Log Analytics `SecurityAlert` table (continuous export to a workspace, Microsoft
 *   Sentinel): `AlertName`, `AlertSeverity`, `StartTime`, `ResourceId`, with `Entities`,
 *   `ExtendedProperties` and `Techniques` as JSON strings;
 * - any of the above as the `data` of an Event Grid event (Event Grid or CloudEvents schema).
 *   Defender publishes no Event Grid system topic: alerts reach Event Grid through workflow
 *   automation or a custom topic, so the event type is the publisher's own. Microsoft Graph
 *   `Microsoft.Graph.AlertCreated` notifications are refused: they carry only the alert's id.
 */
import { z } from 'zod';

import {
  asArray,
  asObject,
  asString,
  camelize,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalIsoDateString,
  optionalString,
  own,
  padCount,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Camelized,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import { armResourceRefs, azureRegion, subscriptionId, subscriptionOf, unwrapEventGrid } from '#src/connectors/azure/arm.js';
import { classifyDefenderAlert, isDefenderTestAlert } from '#src/connectors/azure/azure-taxonomy.js';
import type { Parser, Principal, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import { isPoolDomain, mentionsMinerProcess, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export const DEFENDER_SOURCE = 'azure.defender';

/** Defender's severities (the `AlertSeverity` enum of the Alerts API), compared case-insensitively. */
const SEVERITIES: Readonly<Record<string, Severity>> = {
  informational: 'INFO',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  // Not in the Alerts API enum; accepted so that an alert relayed with it is not refused.
  critical: 'CRITICAL',
};

export function defenderSeverity(name: string): Severity | null {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(SEVERITIES, key) ? SEVERITIES[key]! : null;
}

/**
 * Orders the statuses an alert moves through: Active (New in exports) < In progress < Resolved or
 * Dismissed. Status changes do not always move the alert's times, so the status is part of the version.
 */
const STATUS_RANK: Readonly<Record<string, number>> = { active: 0, new: 0, inprogress: 1, resolved: 2, dismissed: 2 };

const severityString = requiredString.refine((s) => defenderSeverity(s) !== null, 'must be Informational, Low, Medium or High');

// Export records and Log Analytics rows write null (or, for a datetime column, an empty string)
// where the API leaves a property out.
const maybeString = optionalString.nullable();
const maybeDate = z.preprocess((v) => (v === '' ? undefined : v), optionalIsoDateString.nullable());

const stringList = z.union([z.array(z.unknown()), z.string(), z.null()], { error: 'must be an array or a JSON string' }).optional();

/** The alert's own fields, as the ARM `properties` and the export records (camelized) spell them. */
const flatAlertSchema = z.looseObject(
  {
    alertType: requiredString,
    alertDisplayName: maybeString,
    description: maybeString,
    severity: severityString,
    status: maybeString,
    startTimeUtc: isoDateString,
    endTimeUtc: maybeDate,
    // ARM says timeGeneratedUtc/processingEndTimeUtc, the export TimeGenerated/ProcessingEndTime.
    timeGeneratedUtc: maybeDate,
    timeGenerated: maybeDate,
    processingEndTimeUtc: maybeDate,
    processingEndTime: maybeDate,
    systemAlertId: maybeString,
    providerAlertId: maybeString,
    compromisedEntity: maybeString,
    intent: maybeString,
    techniques: stringList,
    subTechniques: stringList,
    azureResourceId: maybeString,
    resourceIdentifiers: z
      .array(z.looseObject({ type: maybeString, azureResourceId: maybeString }, { error: 'must be an object' }), {
        error: 'must be an array',
      })
      .nullable()
      .optional(),
    entities: z.array(z.unknown(), { error: 'must be an array' }).nullable().optional(),
    extendedProperties: z.record(z.string(), z.unknown(), { error: 'must be an object' }).nullable().optional(),
    alertUri: maybeString,
    productName: maybeString,
    productComponentName: maybeString,
    vendorName: maybeString,
  },
  { error: (i) => (i.input === undefined ? 'is required' : 'a Defender for Cloud alert must be a JSON object') },
);

/** A row of the Log Analytics `SecurityAlert` table (camelized). */
const securityAlertRowSchema = z.looseObject(
  {
    alertType: requiredString,
    alertName: maybeString,
    displayName: maybeString,
    description: maybeString,
    alertSeverity: severityString,
    status: maybeString,
    startTime: isoDateString,
    endTime: maybeDate,
    timeGenerated: maybeDate,
    processingEndTime: maybeDate,
    systemAlertId: maybeString,
    vendorOriginalId: maybeString,
    resourceId: maybeString,
    compromisedEntity: maybeString,
    tactics: maybeString,
    techniques: stringList,
    subTechniques: stringList,
    entities: z.union([z.string(), z.array(z.unknown()), z.null()], { error: 'must be a JSON string' }).optional(),
    extendedProperties: z.union([z.string(), z.record(z.string(), z.unknown()), z.null()], { error: 'must be a JSON string' }).optional(),
    alertLink: maybeString,
    productName: maybeString,
    productComponentName: maybeString,
    vendorName: maybeString,
  },
  { error: 'a SecurityAlert row must be a JSON object' },
);

/** One alert whatever shape it came in. */
interface Alert {
  alertType: string;
  displayName: string | null;
  description: string | null;
  severityName: string;
  status: string | null;
  start: Date;
  end: Date | null;
  latest: Date;
  systemAlertId: string | null;
  /** ARM id and name of the alert resource (REST and Resource Graph only). */
  alertId: string | null;
  alertName: string | null;
  resourceIds: string[];
  compromisedEntity: string | null;
  tactics: string[];
  techniques: string[];
  subTechniques: string[];
  entities: unknown[];
  extendedProperties: JsonObject;
  alertUri: string | null;
  productName: string | null;
  productComponentName: string | null;
  vendorName: string | null;
}

const latestOf = (...dates: (Date | null)[]): Date =>
  dates.filter((d): d is Date => d !== null).reduce((a, b) => (b.getTime() > a.getTime() ? b : a));

function strings(value: unknown): string[] {
  return asArray(value).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** A list given as an array or, in Log Analytics rows, as a JSON string of one (`"[\"T1496\"]"`). */
function stringListOf(value: unknown): string[] {
  if (typeof value !== 'string') return strings(value);
  try {
    return strings(JSON.parse(value));
  } catch {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
}

/** Tactics as Defender writes them: `Execution`, or `Persistence, CredentialAccess`. */
function tacticsOf(value: string | null | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s !== 'Unknown');
}

function fromFlat(a: z.infer<typeof flatAlertSchema>, arm: JsonObject | null): Alert {
  const start = parseIsoDate(a.startTimeUtc)!;
  const end = parseIsoDate(a.endTimeUtc);
  const generated = parseIsoDate(a.timeGeneratedUtc ?? a.timeGenerated);
  const processed = parseIsoDate(a.processingEndTimeUtc ?? a.processingEndTime);
  const identifiers = (a.resourceIdentifiers ?? [])
    .filter((r) => (r.type ?? 'AzureResource').toLowerCase() === 'azureresource')
    .map((r) => r.azureResourceId)
    .filter((id): id is string => typeof id === 'string' && id.length > 0);
  return {
    alertType: a.alertType,
    displayName: a.alertDisplayName ?? null,
    description: a.description ?? null,
    severityName: a.severity,
    status: a.status ?? null,
    start,
    end,
    latest: latestOf(start, end, generated, processed),
    systemAlertId: a.systemAlertId ?? a.providerAlertId ?? null,
    alertId: arm ? asString(own(arm, 'id')) : null,
    alertName: arm ? asString(own(arm, 'name')) : null,
    resourceIds: [...identifiers, ...(a.azureResourceId ? [a.azureResourceId] : [])],
    compromisedEntity: a.compromisedEntity ?? null,
    tactics: tacticsOf(a.intent),
    techniques: stringListOf(a.techniques),
    subTechniques: stringListOf(a.subTechniques),
    entities: a.entities ?? [],
    extendedProperties: a.extendedProperties ?? {},
    alertUri: a.alertUri ?? null,
    productName: a.productName ?? null,
    // Continuous export keeps the Defender plan only in ExtendedProperties.
    productComponentName: a.productComponentName ?? extendedString(a.extendedProperties, 'ProductComponentName'),
    vendorName: a.vendorName ?? null,
  };
}

/** A string from ExtendedProperties, whose keys the export writes in PascalCase and camelize() lower-cases. */
function extendedString(properties: JsonObject | null | undefined, key: string): string | null {
  if (!properties) return null;
  return asString(own(properties, key)) ?? asString(own(properties, key.charAt(0).toLowerCase() + key.slice(1)));
}

/** Decodes a column Log Analytics stores as a JSON string; records an issue when it is not JSON. */
function jsonColumn(value: unknown, field: string, item: Item, issues: IssueList): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return null;
  try {
    return JSON.parse(value);
  } catch {
    issues.add(item.index, field, 'is not valid JSON');
    return undefined;
  }
}

function fromSecurityAlertRow(
  r: z.infer<typeof securityAlertRowSchema>,
  item: Item,
  camelized: Camelized,
  issues: IssueList,
): Alert | null {
  const before = issues.count;
  const field = (key: string): string => joinPointer(item.pointer, camelized.originalPath([key]));
  const entities = jsonColumn(r.entities, field('entities'), item, issues);
  const extended = jsonColumn(r.extendedProperties, field('extendedProperties'), item, issues);
  if (issues.count > before) return null;
  const start = parseIsoDate(r.startTime)!;
  const end = parseIsoDate(r.endTime);
  return {
    alertType: r.alertType,
    displayName: r.displayName ?? r.alertName ?? null,
    description: r.description ?? null,
    severityName: r.alertSeverity,
    status: r.status ?? null,
    start,
    end,
    latest: latestOf(start, end, parseIsoDate(r.timeGenerated), parseIsoDate(r.processingEndTime)),
    systemAlertId: r.systemAlertId ?? r.vendorOriginalId ?? null,
    alertId: null,
    alertName: null,
    resourceIds: r.resourceId ? [r.resourceId] : [],
    compromisedEntity: r.compromisedEntity ?? null,
    tactics: tacticsOf(r.tactics),
    techniques: stringListOf(r.techniques),
    subTechniques: stringListOf(r.subTechniques),
    entities: asArray(entities),
    extendedProperties: asObject(extended) ?? {},
    alertUri: r.alertLink ?? null,
    productName: r.productName ?? null,
    productComponentName: r.productComponentName ?? null,
    vendorName: r.vendorName ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Entities: what the alert saw on the machine

const SEARCH_DEPTH = 8;

function collectStrings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > SEARCH_DEPTH) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out, depth + 1);
  else if (isObject(value)) for (const v of Object.values(value)) collectStrings(v, out, depth + 1);
  return out;
}

function entitiesOfType(entities: unknown[], type: string): JsonObject[] {
  return entities.filter((e): e is JsonObject => isObject(e) && (entityField(e, 'type') ?? '').toLowerCase() === type);
}

/** An entity field whatever its casing: the REST API says `upnSuffix`, the export `UPNSuffix`. */
function entityField(entity: JsonObject, key: string): string | null {
  const wanted = key.toLowerCase();
  const found = Object.keys(entity).find((k) => k.toLowerCase() === wanted);
  return found === undefined ? null : asString(entity[found]);
}

/**
 * The caller Defender names, when it is an Entra ID identity (an `account` entity with an object
 * id or a UPN suffix). Local accounts (`root` on a mined VM) name no one outside that machine.
 */
function principalOf(alert: Alert): Principal | null {
  for (const account of entitiesOfType(alert.entities, 'account')) {
    const name = entityField(account, 'name');
    const suffix = entityField(account, 'upnSuffix');
    const objectId = entityField(account, 'aadUserId') ?? entityField(account, 'objectGuid');
    const identity = name && suffix ? `${name}@${suffix}` : objectId;
    if (identity) return { identity, name, accessKeyId: null, sourceIp: null, userAgent: null };
  }
  return null;
}

function resourcesOf(alert: Alert): ResourceRef[] {
  const seen = new Set<string>();
  const refs: ResourceRef[] = [];
  for (const id of alert.resourceIds) {
    // Defender's location is where it keeps the alert, not the resource's region: leave that unknown.
    for (const ref of armResourceRefs(id, null)) {
      const key = ref.id.toLowerCase();
      if (!seen.has(key)) {
        seen.add(key);
        refs.push(ref);
      }
    }
  }
  return refs;
}

/** The Defender location of an alert: `…/locations/{location}/alerts/…` in its id, `…/location/{location}` in its portal link. */
function locationOf(alert: Alert): string | null {
  const fromId = alert.alertId ? /\/locations\/([^/]+)\/alerts\//i.exec(alert.alertId)?.[1] : undefined;
  const fromUri = alert.alertUri ? /\/location\/([^/?#]+)/i.exec(alert.alertUri)?.[1] : undefined;
  return azureRegion(fromId ?? fromUri ?? null);
}

function accountOf(alert: Alert): string | null {
  const effective = extendedString(alert.extendedProperties, 'EffectiveSubscriptionId');
  return subscriptionOf(alert.alertId) ?? alert.resourceIds.map(subscriptionOf).find(Boolean) ?? subscriptionId(effective);
}

function versionOf(alert: Alert): string {
  const rank = STATUS_RANK[(alert.status ?? '').replace(/\s+/g, '').toLowerCase()] ?? 0;
  return `${alert.latest.toISOString()}#${padCount(rank, 1)}`;
}

function toSignal(alert: Alert, item: Item, issues: IssueList): Signal | null {
  const sourceId = alert.systemAlertId ?? alert.alertName;
  if (!sourceId) {
    issues.add(item.index, item.pointer, 'names no alert id (systemAlertId, or the ARM name of the alert)');
    return null;
  }
  const accountId = accountOf(alert);
  if (!accountId) {
    issues.add(
      item.index,
      item.pointer,
      'names no subscription (the alert id, resourceIdentifiers[].azureResourceId, AzureResourceId or ResourceId)',
    );
    return null;
  }

  const text = `${alert.displayName ?? ''} ${alert.description ?? ''}`;
  const classification = classifyDefenderAlert(alert.alertType, text);
  const seen = [...collectStrings(alert.entities), ...collectStrings(alert.extendedProperties)];
  const minerIndicator = seen.find(mentionsMinerProcess) ?? null;
  const domains = entitiesOfType(alert.entities, 'dns')
    .map((e) => entityField(e, 'domainName'))
    .filter((d): d is string => d !== null);
  const poolDomain = domains.find(isPoolDomain) ?? null;
  const mining = classification.mining || minerIndicator !== null || poolDomain !== null;
  const techniques = [...new Set([...alert.techniques, ...(mining ? [RESOURCE_HIJACKING] : [])])];
  const region = locationOf(alert);
  const until = alert.end && alert.end.getTime() >= alert.start.getTime() ? alert.end : alert.start;

  const attributes: JsonObject = {
    findingType: alert.alertType,
    techniques,
    subTechniques: alert.subTechniques,
    tactics: alert.tactics,
    severityName: alert.severityName,
    status: alert.status,
    compromisedEntity: alert.compromisedEntity,
    productName: alert.productName,
    productComponentName: alert.productComponentName,
    vendorName: alert.vendorName,
    alertId: alert.alertId,
    alertUri: alert.alertUri,
    alertLocation: region,
    // Defender's "test alert (not a threat)": rules should not open incidents on it.
    sample: isDefenderTestAlert(alert.alertType),
    ipAddresses: entitiesOfType(alert.entities, 'ip')
      .map((e) => entityField(e, 'address'))
      .filter((a): a is string => a !== null),
  };
  if (minerIndicator) attributes['minerIndicator'] = minerIndicator;
  if (poolDomain) attributes['domain'] = poolDomain;

  return {
    source: DEFENDER_SOURCE,
    sourceId,
    sourceVersion: versionOf(alert),
    kind: 'security_finding',
    provider: 'azure',
    accountId,
    region,
    observedAt: alert.start.toISOString(),
    observedUntil: until.toISOString(),
    severity: defenderSeverity(alert.severityName)!,
    title: alert.displayName ?? alert.alertType,
    mining,
    resources: resourcesOf(alert),
    principal: principalOf(alert),
    cost: null,
    attributes,
    raw: item.value,
  };
}

/** Whether an object is an ARM alert resource: the alert sits in `properties`. */
function isArmAlert(value: JsonObject): boolean {
  const properties = own(value, 'properties');
  const type = asString(own(value, 'type'));
  return isObject(properties) && ((type !== null && /\/alerts$/i.test(type)) || Object.hasOwn(properties, 'alertType'));
}

/** Whether an object is a `SecurityAlert` row rather than an export record (which says `Severity`). */
function isSecurityAlertRow(value: JsonObject): boolean {
  return ['AlertSeverity', 'alertSeverity'].some((k) => Object.hasOwn(value, k));
}

function parseAlert(item: Item, issues: IssueList): Alert | null {
  const value = item.value;
  if (!isObject(value)) {
    issues.add(item.index, item.pointer, 'a Defender for Cloud alert must be a JSON object');
    return null;
  }
  if (isArmAlert(value)) {
    const inner: Item = { ...item, value: own(value, 'properties'), pointer: joinPointer(item.pointer, ['properties']) };
    const camelized = camelize(inner.value);
    const result = flatAlertSchema.safeParse(camelized.value);
    if (!result.success) {
      issues.addZod(result.error, inner, camelized);
      return null;
    }
    return fromFlat(result.data, value);
  }
  const camelized = camelize(value);
  if (isSecurityAlertRow(value)) {
    const result = securityAlertRowSchema.safeParse(camelized.value);
    if (!result.success) {
      issues.addZod(result.error, item, camelized);
      return null;
    }
    return fromSecurityAlertRow(result.data, item, camelized, issues);
  }
  const result = flatAlertSchema.safeParse(camelized.value);
  if (!result.success) {
    issues.addZod(result.error, item, camelized);
    return null;
  }
  return fromFlat(result.data, null);
}

const GRAPH_NOTIFICATION = 'Microsoft.Graph.AlertCreated';

export const parseDefender: Parser = (body) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  for (const listed of unwrapList(body, ['value'], issues)) {
    const item = unwrapEventGrid(
      listed,
      (type) => type !== GRAPH_NOTIFICATION,
      `an event whose data is a Defender for Cloud alert (${GRAPH_NOTIFICATION} carries only the alert id: fetch the alert and send it)`,
      issues,
    );
    const alert = item && parseAlert(item, issues);
    const signal = alert && toSignal(alert, item, issues);
    if (signal) signals.push(signal);
  }
  issues.throwIfAny();
  return { signals, ignored: 0 };
};
