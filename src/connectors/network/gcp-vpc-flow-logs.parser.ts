/**
 * `gcp.vpc-flow-logs`: VPC Flow Logs log entries (Google Cloud docs, "About VPC Flow Logs
 * records"): a `LogEntry` of `projects/{p}/logs/compute.googleapis.com%2Fvpc_flows` on a
 * `gce_subnetwork` resource, whose `jsonPayload` holds `connection {src_ip, src_port, dest_ip,
 * dest_port, protocol}`, `reporter` (`SRC`/`DEST`, `SRC_GATEWAY`/`DEST_GATEWAY`), `src_instance`/
 * `dest_instance {project_id, vm_name, region, zone}`, `src_vpc`/`dest_vpc`, `bytes_sent`,
 * `packets_sent` (int64, so JSON strings on the wire), `start_time`, `end_time`. Accepted as one
 * entry, an array (`gcloud logging read --format=json`), NDJSON, an `entries.list` response
 * (`{entries, nextPageToken}`), or a log sink's Pub/Sub push request (`{message: {data}}`).
 *
 * Each entry is one flow: a signal when it touches a stratum port or a known pool address, ignored
 * otherwise. Entries that are no flow log (a sink that also routes other logs) are ignored too.
 *
 * The reporting side is ours: a `SRC` entry is the VM's egress, a `DEST` entry its ingress (see
 * actionOf for what the entry says about the firewall's decision).
 */
import { isIP } from 'node:net';

import { z } from 'zod';

import {
  asString,
  dig,
  IssueList,
  isObject,
  optionalIsoDateString,
  optionalString,
  own,
  parseIsoDate,
  unwrapList,
  type Item,
} from '#src/connectors/common.js';
import { unwrapPubSubPush } from '#src/connectors/gcp/pubsub.js';
import { computeInstanceId, projectOf, regionOf } from '#src/connectors/gcp/resource-names.js';
import { flowSignal, MAX_PORT, matchFlow, parseWholeNumber, type Direction, type FlowAction } from '#src/connectors/network/flow.js';
import { knownPoolAddresses, type PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import type { Parser, ResourceRef, Signal } from '#src/connectors/signal.js';

export const GCP_VPC_FLOW_LOGS_SOURCE = 'gcp.vpc-flow-logs';

/** A number or, as proto3 JSON writes int64, a string of digits. */
function wholeNumber(value: unknown, max = Number.MAX_SAFE_INTEGER): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= max ? value : null;
  return typeof value === 'string' ? parseWholeNumber(value, max) : null;
}

const count = z
  .unknown()
  .refine((v) => v === undefined || wholeNumber(v) !== null, 'must be a whole number (or an int64 string of one)')
  .transform((v) => (v === undefined ? null : wholeNumber(v)))
  // Without optional() zod 4 treats a missing key as an error once a transform is attached.
  .optional();

const port = z
  .unknown()
  .refine((v) => v === undefined || wholeNumber(v, MAX_PORT) !== null, 'must be a port number (0–65535)')
  .transform((v) => (v === undefined ? null : wholeNumber(v, MAX_PORT)))
  .optional();

const ip = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be an IP address string') })
  .refine((v) => isIP(v) !== 0, 'must be an IP address');

const instance = z
  .looseObject(
    { project_id: optionalString, vm_name: optionalString, region: optionalString, zone: optionalString },
    { error: 'must be an object' },
  )
  .optional();

const entrySchema = z.looseObject({
  insertId: optionalString,
  logName: optionalString,
  timestamp: optionalIsoDateString,
  resource: z
    .looseObject({ type: optionalString, labels: z.record(z.string(), z.unknown()).optional() }, { error: 'must be an object' })
    .optional(),
  jsonPayload: z.looseObject(
    {
      connection: z.looseObject(
        { src_ip: ip, dest_ip: ip, src_port: port, dest_port: port, protocol: count },
        { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
      ),
      reporter: z
        .enum(['SRC', 'DEST', 'SRC_GATEWAY', 'DEST_GATEWAY'], { error: 'must be SRC, DEST, SRC_GATEWAY or DEST_GATEWAY' })
        .optional(),
      start_time: optionalIsoDateString,
      end_time: optionalIsoDateString,
      bytes_sent: count,
      packets_sent: count,
      rtt_msec: count,
      src_instance: instance,
      dest_instance: instance,
    },
    { error: 'must be an object' },
  ),
});

type Entry = z.infer<typeof entrySchema>;
type Instance = NonNullable<Entry['jsonPayload']['src_instance']>;

/**
 * Whether an entry is a flow log at all, as opposed to another log a sink routed. The log name
 * decides when there is one: Firewall Rules Logging entries also carry `jsonPayload.connection`
 * but report a firewall decision, not a sampled flow.
 */
function isFlowLogEntry(value: Record<string, unknown>): boolean {
  const logName = asString(own(value, 'logName'));
  if (logName) return /(?:%2F|\/)vpc_flows$/.test(logName);
  const payload = own(value, 'jsonPayload');
  return isObject(payload) && Object.hasOwn(payload, 'connection');
}

function instanceRef(vm: Instance | undefined, fallbackProject: string | null): { ref: ResourceRef; name: string } | null {
  const project = vm?.project_id ?? fallbackProject;
  if (!vm?.vm_name || !vm.zone || !project) return null;
  return {
    name: vm.vm_name,
    ref: {
      provider: 'gcp',
      accountId: project,
      region: regionOf(vm.zone) ?? regionOf(vm.region),
      type: 'gcp.compute.instance',
      id: computeInstanceId(project, vm.zone, vm.vm_name),
    },
  };
}

/**
 * Flow Logs sample ingress after the firewall, so a `DEST` entry was allowed. Egress is sampled
 * before it: a `SRC` entry was allowed only if the remote answered, which `rtt_msec` shows (it is
 * measured from a segment to its ACK). Without it the outcome is unknown.
 */
function actionOf(direction: Direction, reporter: string | null, rttMsec: number | null): FlowAction | null {
  if (reporter === null) return null;
  if (direction === 'ingress') return 'ACCEPT';
  return rttMsec !== null ? 'ACCEPT' : null;
}

export interface GcpFlowLogOptions {
  pools?: PoolAddressList;
}

export function createGcpVpcFlowLogsParser(options: GcpFlowLogOptions = {}): Parser {
  const pools = options.pools ?? knownPoolAddresses;

  const toSignal = (
    entry: Entry,
    item: Item,
    ctx: { receivedAt: Date; query: Record<string, string | undefined> },
    issues: IssueList,
  ): Signal | null | 'ignored' => {
    const payload = entry.jsonPayload;
    const c = payload.connection;
    const reporter = payload.reporter ?? null;
    const reported: Direction | null = reporter === null ? null : reporter.startsWith('SRC') ? 'egress' : 'ingress';
    const srcPort = c.src_port ?? null;
    const dstPort = c.dest_port ?? null;
    const protocol = c.protocol ?? null;
    const match = matchFlow({ srcAddress: c.src_ip, srcPort, dstAddress: c.dest_ip, dstPort }, reported, pools);
    if (!match) return 'ignored';

    const labels = entry.resource?.labels ?? {};
    const entryProject = asString(labels['project_id']) ?? projectOf(entry.logName) ?? null;
    const localVm = match.direction === 'egress' ? payload.src_instance : payload.dest_instance;
    const local = instanceRef(localVm, entryProject);
    const accountId = local?.ref.accountId ?? entryProject ?? ctx.query['accountId'] ?? null;
    if (!accountId) {
      issues.add(item.index, `${item.pointer}/resource/labels/project_id`, 'is required: the entry names no project');
      return null;
    }
    const region =
      local?.ref.region ?? regionOf(asString(labels['location'])) ?? regionOf(asString(labels['region'])) ?? ctx.query['region'] ?? null;
    const start = parseIsoDate(payload.start_time) ?? parseIsoDate(entry.timestamp) ?? ctx.receivedAt;
    const end = parseIsoDate(payload.end_time) ?? start;
    const subnetwork = asString(labels['subnetwork_name']);
    const tuple = `${protocol ?? '-'}/${c.src_ip}:${srcPort ?? '-'}/${c.dest_ip}:${dstPort ?? '-'}`;
    return flowSignal({
      source: GCP_VPC_FLOW_LOGS_SOURCE,
      sourceId: [accountId, local?.name ?? subnetwork ?? '-', reporter ?? '-', tuple, payload.start_time ?? start.toISOString()].join('/'),
      sourceVersion: end.toISOString(),
      provider: 'gcp',
      accountId,
      region,
      observedAt: start,
      observedUntil: end,
      match,
      action: actionOf(match.direction, reporter, payload.rtt_msec ?? null),
      protocol,
      bytes: payload.bytes_sent ?? null,
      packets: payload.packets_sent ?? null,
      resources: local ? [local.ref] : [],
      localName: local?.name ?? match.localAddress ?? 'an unknown VM',
      extra: {
        reporter,
        vmName: local?.name ?? null,
        subnetwork,
        vpc: asString(dig(payload, match.direction === 'egress' ? 'src_vpc' : 'dest_vpc', 'vpc_name')),
        insertId: entry.insertId ?? null,
      },
      raw: item.value,
    });
  };

  return (body, ctx) => {
    const issues = new IssueList();
    const signals: Signal[] = [];
    let ignored = 0;
    for (const listed of unwrapList(body, ['entries'], issues)) {
      const item = unwrapPubSubPush(listed, issues);
      if (!item) continue;
      if (!isObject(item.value)) {
        issues.add(item.index, item.pointer, 'a log entry must be a JSON object');
        continue;
      }
      if (!isFlowLogEntry(item.value)) {
        ignored += 1;
        continue;
      }
      const result = entrySchema.safeParse(item.value);
      if (!result.success) {
        issues.addZod(result.error, item);
        continue;
      }
      const outcome = toSignal(result.data, item, ctx, issues);
      if (outcome === 'ignored') ignored += 1;
      else if (outcome) signals.push(outcome);
    }
    issues.throwIfAny();
    return { signals, ignored };
  };
}

export const parseGcpVpcFlowLogs: Parser = createGcpVpcFlowLogsParser();
