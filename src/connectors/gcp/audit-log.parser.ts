/**
 * `gcp.audit-log`: Cloud Audit Logs entries (`LogEntry` with a `protoPayload` of type
 * `type.googleapis.com/google.cloud.audit.AuditLog`), as
 * - one entry, an array of entries (what `gcloud logging read --format=json` prints), or NDJSON;
 * - a Logging `entries.list` response (`{entries: [...], nextPageToken}`);
 * - a log sink's Pub/Sub message inside a push request (`{message: {data: <base64 entry>}, subscription}`).
 *
 * Every audit entry becomes a `provisioning` signal, as CloudTrail records do for AWS; calls that
 * start paid capacity are marked `costIncurring`. Entries without an AuditLog payload (a sink that
 * also routes platform logs) are counted as ignored.
 *
 * Long-running operations (Compute Engine inserts, GKE node pools) log a `first` entry carrying the
 * request and a `last` entry carrying the outcome. Both map to one signal per operation: the `last`
 * entry has a greater version, so it updates the signal; when both arrive in one request they are
 * merged, keeping the request's machine type and the outcome's error.
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
  optionalString,
  own,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import { COST_INCURRING_METHODS, normalizeMethodName } from '#src/connectors/gcp/gcp-taxonomy.js';
import { unwrapPubSubPush } from '#src/connectors/gcp/pubsub.js';
import { lastSegment, projectOf, regionOf, resourceFromName, runResourceId, toResourceRef } from '#src/connectors/gcp/resource-names.js';
import type { Parser, Principal, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import { instanceFamilyOf, isGpuInstanceType, mentionsMinerProcess, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export const AUDIT_LOG_SOURCE = 'gcp.audit-log';

const AUDIT_LOG_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog';

/** google.rpc.Code names, which `AuditLog.status.code` carries as numbers. */
const RPC_CODES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const entrySchema = z.looseObject(
  {
    insertId: requiredString,
    logName: optionalString,
    timestamp: isoDateString,
    severity: optionalString,
    resource: z
      .looseObject(
        { type: optionalString, labels: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional() },
        { error: 'must be an object' },
      )
      .optional(),
    operation: z
      .looseObject(
        {
          id: requiredString,
          producer: optionalString,
          first: z.boolean({ error: 'must be true or false' }).optional(),
          last: z.boolean({ error: 'must be true or false' }).optional(),
        },
        { error: 'must be an object' },
      )
      .optional(),
  },
  { error: 'a log entry must be a JSON object' },
);

const auditLogSchema = z.looseObject(
  {
    methodName: requiredString,
    serviceName: optionalString,
    resourceName: optionalString,
    authenticationInfo: z.looseObject({}, { error: 'must be an object' }).optional(),
    requestMetadata: z.looseObject({}, { error: 'must be an object' }).optional(),
    request: z.looseObject({}, { error: 'must be an object' }).optional(),
    response: z.looseObject({}, { error: 'must be an object' }).optional(),
    status: z
      .looseObject(
        { code: z.number({ error: 'must be a number' }).int('must be a whole number').optional(), message: optionalString },
        { error: 'must be an object' },
      )
      .optional(),
  },
  { error: 'protoPayload must be an object' },
);

type Entry = z.infer<typeof entrySchema>;
type AuditLog = z.infer<typeof auditLogSchema>;

/** One validated audit entry. */
interface AuditEntry {
  entry: Entry;
  audit: AuditLog;
  time: Date;
  item: Item;
}

// Request bodies nest differently per API (instances.insert, bulkInsert's instanceProperties, GKE
// nodePool.config, Cloud Run templates); these searches read them all.
const SEARCH_DEPTH = 12;

function collect(value: unknown, keyPattern: RegExp, out: unknown[] = [], depth = 0): unknown[] {
  if (depth > SEARCH_DEPTH) return out;
  if (Array.isArray(value)) {
    for (const v of value) collect(v, keyPattern, out, depth + 1);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (keyPattern.test(key)) out.push(child);
      collect(child, keyPattern, out, depth + 1);
    }
  }
  return out;
}

function strings(values: readonly unknown[]): string[] {
  return values.flatMap((v) => (typeof v === 'string' ? [v] : asArray(v).filter((s): s is string => typeof s === 'string')));
}

/** Machine types named in a request (`…/machineTypes/a2-highgpu-8g` → `a2-highgpu-8g`), without repeats. */
function machineTypesOf(request: unknown): string[] {
  return [
    ...new Set(
      strings(collect(request, /^machineType$/))
        .map(lastSegment)
        .filter((t) => t.length > 0),
    ),
  ];
}

export interface Accelerator {
  type: string;
  count: number;
}

/** Compute Engine `guestAccelerators` and GKE `accelerators` (`acceleratorType` URL or name, `acceleratorCount`, int64 as string). */
function acceleratorsOf(request: unknown): Accelerator[] {
  return collect(request, /^(?:guestAccelerators|accelerators)$/)
    .flatMap(asArray)
    .flatMap((a) => {
      const type = asString(dig(a, 'acceleratorType'));
      const rawCount = dig(a, 'acceleratorCount');
      const count = typeof rawCount === 'string' ? Number(rawCount) : asNumber(rawCount);
      return type && typeof count === 'number' && Number.isFinite(count) ? [{ type: lastSegment(type), count }] : [];
    });
}

function instanceCountOf(method: string, request: unknown): number | null {
  if (method === 'compute.instances.insert') return 1;
  for (const key of ['count', 'targetSize', 'initialNodeCount', 'nodeCount', 'size']) {
    const value = collect(request, new RegExp(`^${key}$`))
      .map((v) => (typeof v === 'string' ? Number(v) : v))
      .find((v) => typeof v === 'number' && Number.isFinite(v));
    if (typeof value === 'number') return value;
  }
  return null;
}

function isSpot(request: unknown): boolean {
  return (
    strings(collect(request, /^provisioningModel$/)).some((m) => m.toUpperCase() === 'SPOT') ||
    collect(request, /^(?:preemptible|spot)$/).some((v) => v === true)
  );
}

/** Container images, commands and arguments, and VM startup scripts: where a miner shows up in a request. */
function minerIndicatorOf(request: unknown): string | null {
  const candidates = strings(collect(request, /^(?:image|command|args|entrypoint)$/i));
  for (const item of asArray(dig(request, 'metadata', 'items'))) {
    const key = asString(dig(item, 'key'));
    const value = asString(dig(item, 'value'));
    if (value && (key === 'startup-script' || key === 'user-data')) candidates.push(value);
  }
  const joined = collect(request, /^args$/).map((a) => strings([a]).join(' '));
  return [...candidates, ...joined].find(mentionsMinerProcess) ?? null;
}

function labelOf(entry: Entry, key: string): string | null {
  const labels = entry.resource?.labels;
  const value = labels && Object.hasOwn(labels, key) ? labels[key] : undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function projectOfEntry(e: AuditEntry): string | null {
  return labelOf(e.entry, 'project_id') ?? projectOf(e.entry.logName) ?? projectOf(e.audit.resourceName);
}

function locationOf(e: AuditEntry): string | null {
  const resourceName = e.audit.resourceName ?? '';
  return (
    labelOf(e.entry, 'zone') ??
    labelOf(e.entry, 'location') ??
    asString(asArray(dig(e.audit, 'resourceLocation', 'currentLocations'))[0]) ??
    /(?:^|\/)(?:zones|locations|regions)\/([^/]+)/.exec(resourceName)?.[1] ??
    null
  );
}

const CANONICAL_TYPES: ReadonlySet<string> = new Set(['gcp.compute.instance', 'gcp.gke.cluster', 'gcp.run.service', 'gcp.run.job']);

function resourcesOf(
  e: AuditEntry,
  project: string,
  location: string | null,
  instanceType: string | null,
  costIncurring: boolean,
): ResourceRef[] {
  const name = e.audit.resourceName;
  if (!name) return [];
  const service = e.audit.serviceName ?? asString(dig(e.entry, 'operation', 'producer')) ?? undefined;
  // Cloud Run's v1 API names resources after Knative: namespaces/{project}/services/{name}.
  const knative = /^namespaces\/([^/]+)\/(services|jobs)\/([^/]+)/.exec(name);
  if (service === 'run.googleapis.com' && knative && location) {
    const kind = knative[2] as 'services' | 'jobs';
    return [
      toResourceRef({
        type: kind === 'services' ? 'gcp.run.service' : 'gcp.run.job',
        id: runResourceId(project, location, kind, knative[3]!),
        project,
        region: regionOf(location),
      }),
    ];
  }
  const named = resourceFromName(name, { service, project });
  if (!named) return [];
  // Like CloudTrail's, audit resources are what the call launched or changed: the kinds other sources
  // also name (VMs, clusters, Cloud Run), or whatever a cost-incurring call targets (an instance group).
  // Reads such as `projects/p/aggregated/instances` name no resource worth linking on.
  if (!CANONICAL_TYPES.has(named.type) && !costIncurring) return [];
  return [toResourceRef(named, named.type === 'gcp.compute.instance' ? instanceType : undefined)];
}

function principalOf(audit: AuditLog): Principal {
  const keyName = asString(dig(audit.authenticationInfo, 'serviceAccountKeyName'));
  return {
    identity: asString(dig(audit.authenticationInfo, 'principalEmail')) ?? asString(dig(audit.authenticationInfo, 'principalSubject')),
    name: null,
    // `//iam.googleapis.com/projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com/keys/{key id}`
    accessKeyId: keyName ? lastSegment(keyName) : null,
    sourceIp: asString(dig(audit.requestMetadata, 'callerIp')),
    userAgent: asString(dig(audit.requestMetadata, 'callerSuppliedUserAgent')),
  };
}

function severityOf(mining: boolean, gpu: boolean, costIncurring: boolean, attempted: boolean): Severity {
  if (mining) return 'HIGH';
  if (gpu && attempted) return 'MEDIUM';
  return costIncurring ? 'LOW' : 'INFO';
}

const PHASE_RANK = { single: 0, first: 1, middle: 2, last: 3 } as const;
type Phase = keyof typeof PHASE_RANK;

function phaseOf(entry: Entry): Phase {
  if (!entry.operation) return 'single';
  if (entry.operation.last) return 'last';
  return entry.operation.first ? 'first' : 'middle';
}

/** One signal per operation (or per entry outside operations), unique across logs and producers. */
function sourceIdOf(e: AuditEntry, project: string): string {
  const log = e.entry.logName ?? `projects/${project}`;
  const op = e.entry.operation;
  return op ? `${log}#operation:${op.producer ?? e.audit.serviceName ?? ''}/${op.id}` : `${log}#${e.entry.insertId}`;
}

/** A request body that says more than its `@type`: the `first` entry's, not the `last` one's. */
function hasBody(request: unknown): boolean {
  return isObject(request) && Object.keys(request).some((k) => k !== '@type');
}

function toSignal(group: AuditEntry[], sourceId: string, project: string): Signal {
  const byTime = [...group].sort(
    (a, b) => a.time.getTime() - b.time.getTime() || PHASE_RANK[phaseOf(a.entry)] - PHASE_RANK[phaseOf(b.entry)],
  );
  const first = byTime[0]!;
  const latest = byTime.at(-1)!;
  const withRequest = byTime.find((e) => hasBody(e.audit.request)) ?? first;
  const failed = byTime.find((e) => (e.audit.status?.code ?? 0) !== 0) ?? null;
  const audit = withRequest.audit;
  const methodName = first.audit.methodName;
  const method = normalizeMethodName(methodName);
  const request = audit.request;

  const errorCode = failed ? (RPC_CODES[failed.audit.status!.code!] ?? String(failed.audit.status!.code)) : null;
  const knownCostCall = COST_INCURRING_METHODS.has(method);
  const costIncurring = knownCostCall && !failed;
  const instanceTypes = machineTypesOf(request);
  const instanceType = instanceTypes[0] ?? null;
  const accelerators = acceleratorsOf(request);
  const gpu = instanceTypes.some(isGpuInstanceType) || accelerators.some((a) => a.count > 0);
  const minerIndicator = minerIndicatorOf(request);
  const mining = minerIndicator !== null;
  const location = locationOf(withRequest) ?? locationOf(latest);
  const principal = principalOf(first.audit);
  const instanceCount = instanceCountOf(method, request);

  const launch = instanceType ? `: ${instanceCount ?? 1} × ${instanceType}` : '';
  const gpus = accelerators.length > 0 ? ` with ${accelerators.map((a) => `${a.count} × ${a.type}`).join(', ')}` : '';
  const failure = errorCode ? ` failed (${errorCode})` : '';
  const phases = byTime.map((e) => phaseOf(e.entry));

  const attributes: JsonObject = {
    eventName: methodName,
    serviceName: audit.serviceName ?? null,
    costIncurring,
    errorCode,
    errorMessage: failed?.audit.status?.message ?? null,
    instanceType,
    instanceTypes,
    instanceFamily: instanceType ? instanceFamilyOf(instanceType) : null,
    gpuInstance: gpu,
    accelerators,
    instanceCount,
    instanceId: labelOf(first.entry, 'instance_id') ?? labelOf(latest.entry, 'instance_id'),
    spot: isSpot(request),
    operationId: first.entry.operation?.id ?? null,
    operationPhases: phases,
    // The caller's labels on what it launched; suppression rules match on them as on AWS tags.
    labels: asObject(dig(request, 'labels')) ?? {},
  };
  if (mining) {
    attributes['minerIndicator'] = minerIndicator;
    attributes['techniques'] = [RESOURCE_HIJACKING];
  }

  return {
    source: AUDIT_LOG_SOURCE,
    sourceId,
    sourceVersion: `${latest.time.toISOString()}#${PHASE_RANK[phaseOf(latest.entry)]}`,
    kind: 'provisioning',
    provider: 'gcp',
    accountId: project,
    region: regionOf(location),
    observedAt: first.time.toISOString(),
    observedUntil: latest.time.toISOString(),
    severity: severityOf(mining, gpu, costIncurring, knownCostCall),
    title: `${methodName}${launch}${gpus} by ${principal.identity ?? 'unknown caller'}${failure}`,
    mining,
    resources: failed ? [] : resourcesOf(withRequest, project, location, instanceType, knownCostCall),
    principal,
    cost: null,
    attributes,
    raw: group.length === 1 ? first.item.value : byTime.map((e) => e.item.value),
  };
}

/**
 * Validates an entry. Returns 'ignored' for entries that carry no AuditLog (platform logs a sink
 * routes along), null after recording issues. An AuditLog payload is recognised by its `@type`, or by
 * a `methodName` when a tool that re-serialized the entry dropped the `@type`.
 */
function readEntry(item: Item, issues: IssueList): AuditEntry | 'ignored' | null {
  const result = entrySchema.safeParse(item.value);
  if (!result.success) issues.addZod(result.error, item);
  const payload = isObject(item.value) ? own(item.value, 'protoPayload') : undefined;
  const pointer = joinPointer(item.pointer, ['protoPayload']);
  if (payload !== undefined && !isObject(payload)) {
    issues.add(item.index, pointer, 'must be an object');
    return null;
  }
  const type = isObject(payload) ? own(payload, '@type') : undefined;
  const isAudit = isObject(payload) && (type === AUDIT_LOG_TYPE || (type === undefined && Object.hasOwn(payload, 'methodName')));
  if (!isAudit) return result.success ? 'ignored' : null;
  const audit = auditLogSchema.safeParse(payload);
  if (!audit.success) issues.addZod(audit.error, { ...item, pointer });
  if (!result.success || !audit.success) return null;
  return { entry: result.data, audit: audit.data, time: parseIsoDate(result.data.timestamp)!, item };
}

export const parseAuditLog: Parser = (body) => {
  const issues = new IssueList();
  let ignored = 0;
  const groups = new Map<string, { project: string; entries: AuditEntry[] }>();
  for (const listed of unwrapList(body, ['entries'], issues)) {
    const item = unwrapPubSubPush(listed, issues);
    const read = item && readEntry(item, issues);
    if (read === 'ignored') {
      ignored += 1;
      continue;
    }
    if (!read) continue;
    const project = projectOfEntry(read);
    if (!project) {
      issues.add(
        read.item.index,
        joinPointer(read.item.pointer, ['resource', 'labels', 'project_id']),
        'is required (or a logName or resourceName naming the project)',
      );
      continue;
    }
    const key = sourceIdOf(read, project);
    const group = groups.get(key) ?? { project, entries: [] };
    group.entries.push(read);
    groups.set(key, group);
  }
  issues.throwIfAny();
  const signals = [...groups.entries()].map(([key, group]) => toSignal(group.entries, key, group.project));
  return { signals, ignored };
};
