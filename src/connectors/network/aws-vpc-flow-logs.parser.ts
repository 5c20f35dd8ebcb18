/**
 * `aws.vpc-flow-logs`: VPC Flow Logs records (AWS VPC User Guide, "Flow log records"), as
 * - text, one record a line (`text/plain` body, or a JSON array of lines): the default format
 *   (`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start
 *   end action log-status`, version 2), or a custom format announced by a header line naming the
 *   fields, as the first line of every file delivered to S3 (`version vpc-id instance-id …`). A
 *   custom format without header (CloudWatch Logs events carry none) is named in the query:
 *   `?format=${version} ${vpc-id} …`, the flow log's `LogFormat` as `describe-flow-logs` prints it;
 * - CloudWatch Logs subscription messages, Lambda `awslogs` events, Firehose HTTP endpoint
 *   requests and `FilterLogEvents` responses carrying such lines (see log-delivery.ts);
 * - records as JSON objects keyed by field name (`account-id`, `account_id` or `accountId`), as a
 *   Firehose transformation or an Athena export writes them.
 *
 * Only records whose source or destination port is a stratum port, or whose remote address is a
 * known pool address, become signals (one per record: a record already is one flow in one
 * aggregation window, and stays traceable to its line). Every other data record, and `NODATA`/
 * `SKIPDATA` records, is counted as ignored. Header lines and blank lines are no records.
 *
 * The parser reads line by line and keeps only the current header between lines, so a streaming
 * caller can feed it batches of lines (`VpcFlowLogReader.pushLines`) and call `finish()` once.
 */
import { isIP } from 'node:net';

import { IssueList, isObject, joinPointer, parseEpoch } from '#src/connectors/common.js';
import { flowSignal, MAX_PORT, matchFlow, parseWholeNumber, type Direction, type FlowAction } from '#src/connectors/network/flow.js';
import { forEachDeliveredLine, textLines, type LogLine } from '#src/connectors/network/log-delivery.js';
import { knownPoolAddresses, type PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import type { ParseContext, ParseResult, Parser, ResourceRef, Signal } from '#src/connectors/signal.js';

export const VPC_FLOW_LOGS_SOURCE = 'aws.vpc-flow-logs';

/** The default format: the version 2 fields in the order of the "Available fields" table. */
export const DEFAULT_FLOW_LOG_FIELDS: readonly string[] = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
];

/** Every field of the "Available fields" table (versions 2 to 8); a header line is made of these. */
export const FLOW_LOG_FIELDS: ReadonlySet<string> = new Set([
  ...DEFAULT_FLOW_LOG_FIELDS,
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
  'ecs-cluster-arn',
  'ecs-cluster-name',
  'ecs-container-instance-arn',
  'ecs-container-instance-id',
  'ecs-container-id',
  'ecs-second-container-id',
  'ecs-service-name',
  'ecs-task-definition-arn',
  'ecs-task-arn',
  'ecs-task-id',
  'reject-reason',
]);

const FIELD_NAME = /^[a-z][a-z0-9-]*$/;

/** A record format: the field names in order, and where each sits. */
interface Layout {
  fields: readonly string[];
  positions: ReadonlyMap<string, number>;
}

function layoutOf(fields: readonly string[]): Layout {
  return { fields, positions: new Map(fields.map((f, i) => [f, i])) };
}

const DEFAULT_LAYOUT = layoutOf(DEFAULT_FLOW_LOG_FIELDS);

/**
 * A header line: only field names, at least two of them ones AWS documents. Values never look like
 * that (they hold digits, addresses, `ACCEPT`, `-`), and requiring known names keeps a custom
 * record of ids only (`eni-0a1b vpc-0a1b`) from passing for one.
 */
function headerOf(tokens: readonly string[]): Layout | null {
  if (!tokens.every((t) => FIELD_NAME.test(t))) return null;
  return tokens.filter((t) => FLOW_LOG_FIELDS.has(t)).length >= 2 ? layoutOf(tokens) : null;
}

/** `${version} ${vpc-id} …` (the `LogFormat` of CreateFlowLogs) or the bare names, as a layout. */
export function parseLogFormat(format: string): Layout | null {
  const tokens = format
    .trim()
    .split(/\s+/)
    .map((t) => /^\$\{([^}]*)\}$/.exec(t)?.[1] ?? t);
  if (tokens.length === 0 || !tokens.every((t) => FIELD_NAME.test(t))) return null;
  return layoutOf(tokens);
}

/** `account_id`, `accountId` and `account-id` all name the field `account-id`. */
function fieldNameOf(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/** One record's fields, whatever it was written as. */
interface RecordFields {
  /** The field's text; undefined when the format has no such field. */
  get(field: string): string | undefined;
  /** Where the field is, for issues. */
  pointer(field: string): string;
}

function lineRecord(tokens: readonly string[], layout: Layout, pointer: string): RecordFields {
  return {
    get: (field) => {
      const i = layout.positions.get(field);
      return i === undefined ? undefined : tokens[i];
    },
    pointer: (field) => joinPointer(pointer, [field]),
  };
}

export interface VpcFlowLogOptions {
  /** Remote addresses that count as pools (default: knownPoolAddresses). */
  pools?: PoolAddressList;
}

/**
 * Reads flow log records one at a time, keeping the last header line's format. `finish()` throws
 * PayloadValidationError naming every bad record, or returns the signals and the ignored count.
 */
export class VpcFlowLogReader {
  readonly issues = new IssueList();
  private readonly signals: Signal[] = [];
  private ignored = 0;
  private header: Layout | null = null;
  private readonly queryLayout: Layout | null = null;
  private readonly pools: PoolAddressList;
  private nextLine = 0;

  constructor(
    private readonly ctx: ParseContext,
    options: VpcFlowLogOptions = {},
  ) {
    this.pools = options.pools ?? knownPoolAddresses;
    const format = ctx.query['format'];
    if (format !== undefined) {
      this.queryLayout = parseLogFormat(format);
      if (!this.queryLayout)
        this.issues.add(null, 'query.format', 'must list flow log fields, e.g. "${version} ${account-id} ${interface-id} …"');
    }
  }

  /** Lines of a text body, in order; their numbers continue across calls (a streaming caller sends batches). */
  pushLines(lines: Iterable<string>): void {
    for (const text of lines) this.textLine(text);
  }

  /** A whole text body, walked without splitting it into an array. */
  pushText(text: string): void {
    for (const { line } of textLines(text)) this.textLine(line);
  }

  private textLine(text: string): void {
    const number = this.nextLine++;
    this.line({ text, index: number, pointer: `/${number}`, owner: null, logGroup: null, logStream: null, timestamp: null, raw: text });
  }

  /** One JSON value of the body: a line, a delivery envelope, or a record object. `index` null: report positions inside it. */
  pushValue(value: unknown, index: number | null, pointer: string): void {
    if (typeof value === 'string') {
      this.line({ text: value, index: index ?? 0, pointer, owner: null, logGroup: null, logStream: null, timestamp: null, raw: value });
      return;
    }
    if (!isObject(value)) {
      this.issues.add(
        index,
        pointer,
        'expected a flow log record line (a string), a record object or a CloudWatch Logs / Firehose delivery',
      );
      return;
    }
    if (forEachDeliveredLine(value, { index, pointer }, this.issues, (line) => this.line(line))) return;
    this.objectRecord(value, index ?? 0, pointer);
  }

  /** One record line (or a header line). */
  line(line: LogLine): void {
    const text = line.text.trim();
    if (text === '') return;
    const tokens = text.split(/\s+/);
    const header = headerOf(tokens);
    if (header) {
      this.header = header;
      return;
    }
    const layout = this.header ?? this.queryLayout ?? (tokens.length === DEFAULT_FLOW_LOG_FIELDS.length ? DEFAULT_LAYOUT : null);
    if (!layout) {
      this.issues.add(
        line.index,
        line.pointer,
        `has ${tokens.length} fields; a default-format record has ${DEFAULT_FLOW_LOG_FIELDS.length}. For a custom format send the header line first, or name the format as ?format=`,
      );
      return;
    }
    if (tokens.length !== layout.fields.length) {
      this.issues.add(
        line.index,
        line.pointer,
        `has ${tokens.length} fields; the format names ${layout.fields.length} (${layout.fields.join(' ')})`,
      );
      return;
    }
    this.record(lineRecord(tokens, layout, line.pointer), line);
  }

  private objectRecord(value: Record<string, unknown>, index: number, pointer: string): void {
    const fields = new Map<string, { key: string; text: string }>();
    let bad = false;
    for (const [key, v] of Object.entries(value)) {
      const name = fieldNameOf(key);
      if (typeof v === 'string') fields.set(name, { key, text: v });
      else if (typeof v === 'number' && Number.isFinite(v)) fields.set(name, { key, text: String(v) });
      else if (v === null) fields.set(name, { key, text: '-' });
      else if (FLOW_LOG_FIELDS.has(name)) {
        this.issues.add(index, joinPointer(pointer, [key]), 'must be a string or a number');
        bad = true;
      }
    }
    if (!['srcaddr', 'dstaddr', 'srcport', 'dstport'].some((f) => fields.has(f))) {
      this.issues.add(
        index,
        pointer,
        'expected VPC Flow Logs records: text lines, a CloudWatch Logs subscription message, a Firehose request, or record objects with srcaddr/dstaddr/srcport/dstport',
      );
      return;
    }
    if (bad) return;
    const record: RecordFields = {
      get: (field) => fields.get(field)?.text,
      pointer: (field) => joinPointer(pointer, [fields.get(field)?.key ?? field]),
    };
    this.record(record, { text: '', index, pointer, owner: null, logGroup: null, logStream: null, timestamp: null, raw: value });
  }

  private record(rec: RecordFields, line: LogLine): void {
    const value = (field: string): string | null => {
      const v = rec.get(field);
      return v === undefined || v === '-' ? null : v;
    };
    const status = value('log-status');
    if (status === 'NODATA' || status === 'SKIPDATA') {
      this.ignored += 1;
      return;
    }
    const before = this.issues.count;
    const bad = (field: string, message: string) => this.issues.add(line.index, rec.pointer(field), message);
    const address = (field: string): string | null => {
      const v = value(field);
      if (v !== null && isIP(v) === 0) bad(field, `must be an IP address, got ${JSON.stringify(v)}`);
      return v;
    };
    const whole = (field: string, max: number, what: string): number | null => {
      const v = value(field);
      if (v === null) return null;
      const n = parseWholeNumber(v, max);
      if (n === null) bad(field, `must be ${what}, got ${JSON.stringify(v)}`);
      return n;
    };
    const srcAddress = address('srcaddr');
    const dstAddress = address('dstaddr');
    const srcPort = whole('srcport', MAX_PORT, 'a port number (0–65535)');
    const dstPort = whole('dstport', MAX_PORT, 'a port number (0–65535)');
    const protocol = whole('protocol', 255, 'an IANA protocol number (0–255)');
    const packets = whole('packets', Number.MAX_SAFE_INTEGER, 'a whole number');
    const bytes = whole('bytes', Number.MAX_SAFE_INTEGER, 'a whole number');
    const start = whole('start', Number.MAX_SAFE_INTEGER, 'epoch seconds');
    const end = whole('end', Number.MAX_SAFE_INTEGER, 'epoch seconds');
    const tcpFlags = whole('tcp-flags', 255, 'a TCP flags bitmask (0–255)');
    const actionText = value('action');
    if (actionText !== null && actionText !== 'ACCEPT' && actionText !== 'REJECT')
      bad('action', `must be ACCEPT, REJECT or -, got ${JSON.stringify(actionText)}`);
    const directionText = value('flow-direction');
    if (directionText !== null && directionText !== 'ingress' && directionText !== 'egress') {
      bad('flow-direction', `must be ingress, egress or -, got ${JSON.stringify(directionText)}`);
    }
    const startAt = start === null ? null : parseEpoch(start, 's');
    const endAt = end === null ? null : parseEpoch(end, 's');
    if (start !== null && !startAt) bad('start', 'is not a plausible time in epoch seconds');
    if (end !== null && !endAt) bad('end', 'is not a plausible time in epoch seconds');
    if (this.issues.count > before) return;

    const match = matchFlow({ srcAddress, srcPort, dstAddress, dstPort }, directionText as Direction | null, this.pools);
    if (!match) {
      this.ignored += 1;
      return;
    }
    // AWS writes `unknown` for interfaces that AWS services own (NLB, VPC endpoints).
    const recordAccount = value('account-id');
    const accountId = (recordAccount !== 'unknown' ? recordAccount : null) ?? line.owner ?? this.ctx.query['accountId'] ?? null;
    if (!accountId) {
      bad('account-id', 'is required: the record names no account; send ?accountId= with the body');
      return;
    }
    // CloudWatch Logs names a flow log's streams after the interface (`eni-0a1b2c3d-all`).
    const interfaceId = value('interface-id') ?? /^(eni-[0-9a-f]+)/.exec(line.logStream ?? '')?.[1] ?? null;
    const instanceId = value('instance-id');
    const region = value('region') ?? this.ctx.query['region'] ?? null;
    const observedAt = startAt ?? line.timestamp ?? this.ctx.receivedAt;
    const observedUntil = endAt ?? observedAt;

    const base = { provider: 'aws' as const, accountId, region };
    const resources: ResourceRef[] = [];
    if (instanceId) resources.push({ ...base, type: 'aws.ec2.instance', id: instanceId });
    // The interface too: default-format records of the same ENI name no instance, and link through it.
    if (interfaceId) resources.push({ ...base, type: 'aws.ec2.network-interface', id: interfaceId });

    const tuple = `${protocol ?? '-'}/${srcAddress ?? '-'}:${srcPort ?? '-'}/${dstAddress ?? '-'}:${dstPort ?? '-'}`;
    this.signals.push(
      flowSignal({
        source: VPC_FLOW_LOGS_SOURCE,
        sourceId: `${accountId}/${interfaceId ?? instanceId ?? '-'}/${tuple}/${start ?? observedAt.toISOString()}`,
        // A record is final once written: a second delivery of it is a duplicate.
        sourceVersion: observedUntil.toISOString(),
        provider: 'aws',
        accountId,
        region,
        observedAt,
        observedUntil,
        match,
        action: actionText as FlowAction | null,
        protocol,
        bytes,
        packets,
        resources,
        localName: instanceId ?? interfaceId ?? match.localAddress ?? 'an unknown interface',
        extra: {
          interfaceId,
          instanceId,
          vpcId: value('vpc-id'),
          subnetId: value('subnet-id'),
          azId: value('az-id'),
          tcpFlags,
          trafficPath: value('traffic-path'),
          rejectReason: value('reject-reason'),
        },
        raw: line.raw,
      }),
    );
  }

  finish(): ParseResult {
    this.issues.throwIfAny();
    return { signals: this.signals, ignored: this.ignored };
  }
}

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/** A parser with its own pool address list (the default one uses knownPoolAddresses). */
export function createVpcFlowLogsParser(options: VpcFlowLogOptions = {}): Parser {
  return (body, ctx) => {
    const reader = new VpcFlowLogReader(ctx, options);
    if (typeof body === 'string') reader.pushText(body);
    else if (Array.isArray(body)) body.forEach((value, i) => reader.pushValue(value, i, `/${i}`));
    else if (isObject(body)) reader.pushValue(body, null, '');
    else reader.issues.add(null, '', `expected flow log text lines or JSON, got ${describe(body)}`);
    return reader.finish();
  };
}

export const parseVpcFlowLogs: Parser = createVpcFlowLogsParser();

/** Whether a line is a header line naming the fields (as the first line of an S3 log file). */
export const isHeaderLine = (line: string): boolean => headerOf(line.trim().split(/\s+/)) !== null;
