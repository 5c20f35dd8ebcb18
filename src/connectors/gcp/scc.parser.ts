/**
 * `gcp.scc`: Security Command Center findings, as
 * - a finding (`{name, parent, resourceName, state, category, eventTime, …}`), one or an array;
 * - a ListFindings response, v1 or v2 (`{listFindingsResults: [{finding, resource, stateChange}],
 *   readTime, nextPageToken, totalSize}`), or the array `gcloud scc findings list --format=json` prints;
 * - a `NotificationMessage` (`{notificationConfigName, finding, resource}`), as a notification config
 *   publishes it to Pub/Sub;
 * - that message inside a Pub/Sub push request (`{message: {data: <base64>}, subscription}`).
 *
 * The v1 result `resource` says `projectName`/`projectDisplayName`, the v2 one `gcpMetadata.project`;
 * notifications spell the same fields in snake_case (`project_display_name`). All are read.
 */
import { z } from 'zod';

import {
  asArray,
  asString,
  dig,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalIsoDateString,
  optionalString,
  own,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import { attackTechniqueIds, classifySccCategory } from '#src/connectors/gcp/gcp-taxonomy.js';
import { unwrapPubSubPush } from '#src/connectors/gcp/pubsub.js';
import {
  isProjectNumber,
  lastSegment,
  projectOf,
  regionOf,
  resourceFromName,
  toResourceRef,
  type NamedResource,
} from '#src/connectors/gcp/resource-names.js';
import type { Parser, Principal, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import { isPoolDomain, mentionsMinerProcess, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export const SCC_SOURCE = 'gcp.scc';

const stringList = z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' }).optional();

const findingSchema = z.looseObject(
  {
    name: requiredString,
    parent: optionalString,
    resourceName: optionalString,
    state: optionalString,
    category: requiredString,
    externalUri: optionalString,
    severity: optionalString,
    findingClass: optionalString,
    mute: optionalString,
    canonicalName: optionalString,
    eventTime: isoDateString,
    createTime: optionalIsoDateString,
    // Not in the v1/v2 Finding message today; read when a relay or a later API version adds it.
    updateTime: optionalIsoDateString,
    indicator: z.looseObject({ ipAddresses: stringList, domains: stringList, uris: stringList }, { error: 'must be an object' }).optional(),
    mitreAttack: z
      .looseObject({ primaryTechniques: stringList, additionalTechniques: stringList }, { error: 'must be an object' })
      .optional(),
    access: z.looseObject({}, { error: 'must be an object' }).optional(),
  },
  { error: 'an SCC finding must be a JSON object' },
);

type Finding = z.infer<typeof findingSchema>;

const SEVERITIES: Readonly<Record<string, Severity>> = { CRITICAL: 'CRITICAL', HIGH: 'HIGH', MEDIUM: 'MEDIUM', LOW: 'LOW' };

/** A later state of the same finding (same `eventTime`) must compare greater: ACTIVE → INACTIVE is a resolution. */
const STATE_RANK: Readonly<Record<string, number>> = { ACTIVE: 1, INACTIVE: 2 };

/**
 * Orders versions of a finding. SCC moves `eventTime` forward whenever it updates a finding; the
 * state rank breaks ties so that deactivating a finding at the same time still updates it.
 */
export function sccVersion(eventTime: Date, state: string | undefined): string {
  return `${eventTime.toISOString()}#${STATE_RANK[state ?? ''] ?? 0}`;
}

/** The finding's own fields in either spelling the API and its notifications use. */
function pick(object: unknown, ...keys: string[]): string | null {
  if (!isObject(object)) return null;
  for (const key of keys) {
    const value = asString(own(object, key));
    if (value) return value;
  }
  return null;
}

/** Project ids: 6–30 lowercase letters, digits and hyphens, starting with a letter (legacy ones may carry a `domain:` prefix). */
const PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

interface Project {
  id: string | null;
  number: string | null;
}

/**
 * The project a finding is about. The project id is preferred (it is what audit logs, Monitoring
 * and billing rows use); the number, which `parent`, `resource.projectName` and often
 * `resourceName` carry, is kept as a fallback and for the attributes.
 */
function projectOfFinding(finding: Finding, resource: unknown): Project {
  const sourceProperties = own(finding, 'sourceProperties');
  const evidenceProjects = asArray(dig(sourceProperties, 'evidence')).map((e) => asString(dig(e, 'sourceLogId', 'projectId')));
  const uriProject = /[?&]project=([a-z][-a-z0-9.:]*[a-z0-9])(?:&|$)/.exec(finding.externalUri ?? '')?.[1] ?? null;
  const ids = [
    projectOf(finding.resourceName),
    ...evidenceProjects,
    projectOf(asString(dig(sourceProperties, 'properties', 'instanceDetails'))),
    uriProject,
    // A project's display name is usually its id, but may be a free-form name ("ACME ML Training").
    ...[pick(resource, 'projectDisplayName', 'project_display_name'), asString(dig(resource, 'gcpMetadata', 'projectDisplayName'))].filter(
      (name) => name !== null && PROJECT_ID.test(name),
    ),
  ];
  const numbers = [
    projectOf(finding.resourceName),
    projectOf(pick(resource, 'projectName', 'project_name', 'project')),
    projectOf(asString(dig(resource, 'gcpMetadata', 'project'))),
    asString(dig(sourceProperties, 'sourceId', 'projectNumber')),
    projectOf(finding.parent),
    projectOf(finding.canonicalName),
  ];
  return {
    id: ids.find((p): p is string => typeof p === 'string' && !isProjectNumber(p)) ?? null,
    number: numbers.find((p): p is string => typeof p === 'string' && isProjectNumber(p)) ?? null,
  };
}

function resourcesOf(finding: Finding, resource: unknown, projectId: string | null): NamedResource[] {
  const sourceProperties = own(finding, 'sourceProperties');
  const names: { name: string; service?: string }[] = [];
  const add = (name: string | null, service?: string) => {
    if (name) names.push(service ? { name, service } : { name });
  };
  add(finding.resourceName ?? null);
  add(pick(resource, 'name'));
  // Event Threat Detection's older findings name the VM only here, as `/projects/p/zones/z/instances/vm`.
  add(asString(dig(sourceProperties, 'properties', 'instanceDetails')), 'compute.googleapis.com');
  for (const affected of asArray(dig(sourceProperties, 'affectedResources'))) add(asString(dig(affected, 'gcpResourceName')));

  const out: NamedResource[] = [];
  for (const { name, service } of names) {
    const named = resourceFromName(name, { service, project: projectId });
    if (named && !out.some((r) => r.id.toLowerCase() === named.id.toLowerCase())) out.push(named);
  }
  return out;
}

function principalOf(finding: Finding): Principal | null {
  const access = finding.access;
  const identity = pick(access, 'principalEmail');
  const sourceIp = pick(access, 'callerIp');
  if (!identity && !sourceIp) return null;
  const keyName = pick(access, 'serviceAccountKeyName');
  return {
    identity,
    name: pick(access, 'userName'),
    accessKeyId: keyName ? lastSegment(keyName) : null,
    sourceIp,
    userAgent: pick(access, 'userAgent'),
  };
}

/** Process names, binaries and arguments, and container images a runtime detector reported. */
function workloadStrings(finding: Finding): string[] {
  const out: string[] = [];
  for (const process of asArray(own(finding, 'processes'))) {
    for (const value of [dig(process, 'name'), dig(process, 'binary'), dig(process, 'binary', 'path')]) {
      if (typeof value === 'string') out.push(value);
    }
    const args = asArray(dig(process, 'args')).filter((a): a is string => typeof a === 'string');
    if (args.length > 0) out.push(args.join(' '));
  }
  for (const container of asArray(own(finding, 'containers'))) {
    const uri = asString(dig(container, 'uri'));
    if (uri) out.push(uri);
  }
  return out;
}

/**
 * `item` is the finding within the request; `container` the NotificationMessage or ListFindingsResult
 * around it, if any, which is what `raw` keeps (the resource context travels with the finding).
 */
function toSignal(finding: Finding, item: Item, container: JsonObject | null, issues: IssueList): Signal | null {
  const resource = container ? own(container, 'resource') : undefined;
  const project = projectOfFinding(finding, resource);
  const accountId = project.id ?? project.number;
  if (!accountId) {
    issues.add(
      item.index,
      joinPointer(item.pointer, ['resourceName']),
      'names no project (resourceName, resource.projectDisplayName or a project-level parent)',
    );
    return null;
  }
  const eventTime = parseIsoDate(finding.eventTime)!;
  const createTime = parseIsoDate(finding.createTime);
  const updateTime = parseIsoDate(finding.updateTime);
  const latest = updateTime && updateTime.getTime() > eventTime.getTime() ? updateTime : eventTime;
  // createTime is when SCC stored the finding, usually seconds after the event; the earlier of the two
  // is when the activity was first seen.
  const observedAt = createTime && createTime.getTime() < eventTime.getTime() ? createTime : eventTime;

  const classification = classifySccCategory(finding.category);
  const domains = finding.indicator?.domains ?? [];
  const ips = finding.indicator?.ipAddresses ?? [];
  const poolDomains = domains.filter(isPoolDomain);
  const minerIndicator = workloadStrings(finding).find(mentionsMinerProcess) ?? null;
  const mining = classification.mining || poolDomains.length > 0 || minerIndicator !== null;

  const techniques = attackTechniqueIds([
    ...(finding.mitreAttack?.primaryTechniques ?? []),
    ...(finding.mitreAttack?.additionalTechniques ?? []),
    ...[asString(dig(own(finding, 'sourceProperties'), 'contextUris', 'mitreUri', 'url'))].filter((u): u is string => u !== null),
  ]);
  if (mining && !techniques.includes(RESOURCE_HIJACKING)) techniques.push(RESOURCE_HIJACKING);

  const named = resourcesOf(finding, resource, project.id);
  const resources: ResourceRef[] = named.map((r) => toResourceRef(r));
  const region = named.find((r) => r.region)?.region ?? regionOf(pick(resource, 'location'));
  // What the title names: the resource's display name, else the VM, cluster or service the finding is
  // about (not the project number a project-level resourceName ends in).
  const subject =
    pick(resource, 'displayName', 'display_name') ??
    (named[0] ? lastSegment(named[0].id) : finding.resourceName ? lastSegment(finding.resourceName) : null);

  return {
    source: SCC_SOURCE,
    sourceId: finding.name,
    sourceVersion: sccVersion(latest, finding.state),
    kind: 'security_finding',
    provider: 'gcp',
    accountId,
    region,
    observedAt: observedAt.toISOString(),
    observedUntil: latest.toISOString(),
    severity: SEVERITIES[(finding.severity ?? '').toUpperCase()] ?? classification.severity ?? 'INFO',
    title: subject ? `${finding.category} on ${subject}` : finding.category,
    mining,
    resources,
    principal: principalOf(finding),
    cost: null,
    attributes: {
      findingType: finding.category,
      findingClass: finding.findingClass ?? null,
      state: finding.state ?? null,
      mute: finding.mute ?? null,
      indicatorDomains: domains,
      indicatorIps: ips,
      poolDomains,
      minerIndicator,
      techniques,
      projectNumber: project.number,
      resourceType: pick(resource, 'type'),
      canonicalName: finding.canonicalName ?? null,
      externalUri: finding.externalUri || null,
      notificationConfig: container ? pick(container, 'notificationConfigName') : null,
    },
    raw: container ?? item.value,
  };
}

/** Splits a NotificationMessage or ListFindingsResult into its finding and the wrapper around it. */
function findingOf(item: Item, issues: IssueList): { finding: Item; container: JsonObject | null } | null {
  const value = item.value;
  if (!isObject(value) || !Object.hasOwn(value, 'finding')) return { finding: item, container: null };
  const finding = own(value, 'finding');
  if (!isObject(finding)) {
    issues.add(item.index, joinPointer(item.pointer, ['finding']), 'must be an object');
    return null;
  }
  return {
    finding: { value: finding, index: item.index, pointer: joinPointer(item.pointer, ['finding']), envelope: item.envelope },
    container: value,
  };
}

export const parseScc: Parser = (body) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  for (const listed of unwrapList(body, ['listFindingsResults'], issues)) {
    const item = unwrapPubSubPush(listed, issues);
    const split = item && findingOf(item, issues);
    if (!split) continue;
    const result = findingSchema.safeParse(split.finding.value);
    if (!result.success) {
      issues.addZod(result.error, split.finding);
      continue;
    }
    const signal = toSignal(result.data, split.finding, split.container, issues);
    if (signal) signals.push(signal);
  }
  issues.throwIfAny();
  return { signals, ignored: 0 };
};
