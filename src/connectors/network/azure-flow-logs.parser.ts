/**
 * `azure.flow-logs`: Network Watcher flow logs as written to storage (`PT1H.json` blobs,
 * `{"records": [...]}`), a record array or one record:
 *
 * - NSG flow logs, version 1 and 2 (Azure docs, "Flow logging for network security groups", Log
 *   format): `{time, systemId, category: "NetworkSecurityGroupFlowEvent", resourceId: <NSG id>,
 *   operationName, properties: {Version, flows: [{rule, flows: [{mac, flowTuples: [...]}]}]}}`.
 *   A tuple is `time(epoch s),src,dst,srcport,dstport,protocol(T|U),direction(I|O),decision(A|D)`,
 *   and in version 2 also `,state(B|C|E),packets s→d,bytes s→d,packets d→s,bytes d→s` (the counts
 *   empty in state B);
 * - virtual network flow logs, flowLogVersion 4 ("Virtual network flow logs", Log format):
 *   `{time, flowLogVersion, flowLogGUID, macAddress, category: "FlowLogFlowEvent",
 *   flowLogResourceID, targetResourceID, operationName, flowRecords: {flows: [{aclID, flowGroups:
 *   [{rule, flowTuples: [...]}]}]}}`. A tuple is `time,src,dst,srcport,dstport,protocol(IANA
 *   number),direction(I|O),state(B|C|E|D),encryption(X|NX|NX_…),packets s→d,bytes s→d,packets
 *   d→s,bytes d→s`; the documented sample writes the time in epoch milliseconds, the bandwidth
 *   example in seconds, so both are read.
 *
 * Each tuple is one flow: it becomes a signal when it touches a stratum port or a known pool
 * address, and is counted as ignored otherwise.
 */
import { isIP } from 'node:net';

import {
  asNumber,
  asString,
  IssueList,
  isObject,
  joinPointer,
  own,
  parseEpoch,
  unwrapList,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import { armResourceRefs, subscriptionOf } from '#src/connectors/azure/arm.js';
import { flowSignal, MAX_PORT, matchFlow, parseWholeNumber, type FlowAction } from '#src/connectors/network/flow.js';
import { knownPoolAddresses, type PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import type { Parser, Signal } from '#src/connectors/signal.js';

export const AZURE_FLOW_LOGS_SOURCE = 'azure.flow-logs';

const NSG_FIELDS = [
  'timestamp',
  'sourceAddress',
  'destinationAddress',
  'sourcePort',
  'destinationPort',
  'protocol',
  'direction',
  'decision',
  'state',
  'packetsSent',
  'bytesSent',
  'packetsReceived',
  'bytesReceived',
] as const;
const VNET_FIELDS = [
  'timestamp',
  'sourceAddress',
  'destinationAddress',
  'sourcePort',
  'destinationPort',
  'protocol',
  'direction',
  'state',
  'encryption',
  'packetsSent',
  'bytesSent',
  'packetsReceived',
  'bytesReceived',
] as const;

const NSG_PROTOCOLS: Readonly<Record<string, number>> = { T: 6, U: 17 };

// Epoch seconds stay below 1e11 until the year 5138: anything larger is milliseconds.
const MILLISECONDS_FROM = 1e11;

interface Tuple {
  epoch: number;
  at: Date;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  outbound: boolean;
  action: FlowAction;
  state: string | null;
  encryption: string | null;
  packetsSent: number | null;
  bytesSent: number | null;
  packetsReceived: number | null;
  bytesReceived: number | null;
}

/** Where a tuple came from: the record's resources and what the groups around it say. */
interface TupleContext {
  kind: 'nsg' | 'vnet';
  /** NSG flow log Version (1 or 2); null when the record does not say. */
  version: number | null;
  /** Null when the record names no valid subscription: its tuples are still checked, but make no signal. */
  accountId: string | null;
  region: string | null;
  /** The NSG (NSG flow logs) or the flow log's target (VNet flow logs): what the signal is about. */
  resourceId: string;
  rule: string | null;
  mac: string | null;
  aclId: string | null;
  flowLogVersion: number | null;
}

function parseTuple(text: string, ctx: TupleContext, index: number, pointer: string, issues: IssueList): Tuple | null {
  const parts = text.split(',');
  const names = ctx.kind === 'nsg' ? NSG_FIELDS : VNET_FIELDS;
  const lengths = ctx.kind === 'vnet' ? [13] : ctx.version === 1 ? [8] : ctx.version === 2 ? [13] : [8, 13];
  if (!lengths.includes(parts.length)) {
    issues.add(
      index,
      pointer,
      `has ${parts.length} comma-separated fields; ${ctx.kind === 'nsg' ? `an NSG flow log version ${ctx.version ?? '1 or 2'}` : 'a virtual network flow log'} tuple has ${lengths.join(' or ')}`,
    );
    return null;
  }
  const before = issues.count;
  const field = (name: (typeof names)[number]): string => parts[(names as readonly string[]).indexOf(name)] ?? '';
  const bad = (name: string, message: string) => issues.add(index, joinPointer(pointer, [name]), message);

  const epochText = field('timestamp');
  const epoch = parseWholeNumber(epochText);
  const at = epoch === null ? null : epoch >= MILLISECONDS_FROM ? parseEpoch(epoch, 'ms') : parseEpoch(epoch, 's');
  if (!at) bad('timestamp', `must be a UNIX epoch time, got ${JSON.stringify(epochText)}`);
  const address = (name: 'sourceAddress' | 'destinationAddress'): string => {
    const v = field(name);
    if (isIP(v) === 0) bad(name, `must be an IP address, got ${JSON.stringify(v)}`);
    return v;
  };
  const port = (name: 'sourcePort' | 'destinationPort'): number => {
    const v = field(name);
    const n = parseWholeNumber(v, MAX_PORT);
    if (n === null) bad(name, `must be a port number (0–65535), got ${JSON.stringify(v)}`);
    return n ?? 0;
  };
  const count = (name: 'packetsSent' | 'bytesSent' | 'packetsReceived' | 'bytesReceived'): number | null => {
    const v = field(name);
    if (v === '') return null;
    const n = parseWholeNumber(v);
    if (n === null) bad(name, `must be a whole number or empty, got ${JSON.stringify(v)}`);
    return n;
  };
  const src = address('sourceAddress');
  const dst = address('destinationAddress');
  const srcPort = port('sourcePort');
  const dstPort = port('destinationPort');

  const protocolText = field('protocol');
  const protocol = ctx.kind === 'nsg' ? (NSG_PROTOCOLS[protocolText] ?? null) : parseWholeNumber(protocolText, 255);
  if (protocol === null) {
    bad(
      'protocol',
      ctx.kind === 'nsg'
        ? `must be T (TCP) or U (UDP), got ${JSON.stringify(protocolText)}`
        : `must be an IANA protocol number, got ${JSON.stringify(protocolText)}`,
    );
  }
  const direction = field('direction');
  if (direction !== 'I' && direction !== 'O') bad('direction', `must be I (inbound) or O (outbound), got ${JSON.stringify(direction)}`);

  let action: FlowAction;
  let state: string | null = null;
  if (ctx.kind === 'nsg') {
    const decision = field('decision');
    if (decision !== 'A' && decision !== 'D') bad('decision', `must be A (allowed) or D (denied), got ${JSON.stringify(decision)}`);
    action = decision === 'D' ? 'REJECT' : 'ACCEPT';
    if (parts.length === 13) {
      state = field('state');
      if (!['B', 'C', 'E'].includes(state)) bad('state', `must be B, C or E, got ${JSON.stringify(state)}`);
    }
  } else {
    state = field('state');
    if (!['B', 'C', 'E', 'D'].includes(state)) bad('state', `must be B, C, E or D, got ${JSON.stringify(state)}`);
    // Virtual network flow logs have no decision field: a denied flow is state D.
    action = state === 'D' ? 'REJECT' : 'ACCEPT';
  }
  const counted = parts.length === 13;
  const packetsSent = counted ? count('packetsSent') : null;
  const bytesSent = counted ? count('bytesSent') : null;
  const packetsReceived = counted ? count('packetsReceived') : null;
  const bytesReceived = counted ? count('bytesReceived') : null;
  if (issues.count > before) return null;
  return {
    epoch: epoch!,
    at: at!,
    src,
    dst,
    srcPort,
    dstPort,
    protocol: protocol!,
    outbound: direction === 'O',
    action,
    state,
    encryption: ctx.kind === 'vnet' ? field('encryption') : null,
    packetsSent,
    bytesSent,
    packetsReceived,
    bytesReceived,
  };
}

const sum = (a: number | null, b: number | null): number | null => (a === null && b === null ? null : (a ?? 0) + (b ?? 0));

function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/**
 * Network Watcher is created per region as `NetworkWatcher_<region>` (in `NetworkWatcherRG`), so a
 * flow log id that follows that default names its region; other names say nothing.
 */
function regionOfFlowLog(flowLogResourceId: string | null): string | null {
  return /\/networkwatchers\/networkwatcher_([a-z0-9]+)\//i.exec(flowLogResourceId ?? '')?.[1]?.toLowerCase() ?? null;
}

interface Counters {
  signals: Signal[];
  ignored: number;
}

export interface AzureFlowLogOptions {
  pools?: PoolAddressList;
}

export function createAzureFlowLogsParser(options: AzureFlowLogOptions = {}): Parser {
  const pools = options.pools ?? knownPoolAddresses;

  const tuple = (text: unknown, ctx: TupleContext, index: number, pointer: string, issues: IssueList, out: Counters): void => {
    if (typeof text !== 'string') {
      issues.add(index, pointer, 'a flow tuple must be a string');
      return;
    }
    const t = parseTuple(text, ctx, index, pointer, issues);
    if (!t || ctx.accountId === null) return;
    const match = matchFlow(
      { srcAddress: t.src, srcPort: t.srcPort, dstAddress: t.dst, dstPort: t.dstPort },
      t.outbound ? 'egress' : 'ingress',
      pools,
    );
    if (!match) {
      out.ignored += 1;
      return;
    }
    const base = ctx.resourceId.toLowerCase();
    out.signals.push(
      flowSignal({
        source: AZURE_FLOW_LOGS_SOURCE,
        sourceId: [base, ctx.mac ?? '-', t.protocol, `${t.src}:${t.srcPort}`, `${t.dst}:${t.dstPort}`, t.epoch, t.state ?? t.action].join(
          '/',
        ),
        sourceVersion: t.at.toISOString(),
        provider: 'azure',
        accountId: ctx.accountId,
        region: ctx.region,
        observedAt: t.at,
        observedUntil: t.at,
        match,
        action: t.action,
        protocol: t.protocol,
        bytes: sum(t.bytesSent, t.bytesReceived),
        packets: sum(t.packetsSent, t.packetsReceived),
        resources: armResourceRefs(ctx.resourceId, ctx.region),
        localName: ctx.mac ? `NIC ${ctx.mac}` : lastSegment(ctx.resourceId),
        extra: {
          rule: ctx.rule,
          macAddress: ctx.mac,
          flowState: t.state,
          encryption: t.encryption,
          aclId: ctx.aclId,
          bytesSent: t.bytesSent,
          bytesReceived: t.bytesReceived,
          flowLogVersion: ctx.flowLogVersion,
        },
        raw: text,
      }),
    );
  };

  /** An array at `key` of `parent`, or an issue. */
  const list = (parent: JsonObject, key: string, index: number, pointer: string, issues: IssueList): unknown[] | null => {
    const value = own(parent, key);
    if (Array.isArray(value)) return value;
    issues.add(index, joinPointer(pointer, [key]), value === undefined ? 'is required' : 'must be an array');
    return null;
  };

  const accountOf = (id: string | null, index: number, field: string, issues: IssueList): string | null => {
    const subscription = subscriptionOf(id);
    if (!subscription)
      issues.add(index, field, id === null ? 'is required' : `must be an ARM resource id (/subscriptions/…), got ${JSON.stringify(id)}`);
    return subscription;
  };

  const nsgRecord = (record: JsonObject, item: Item, region: string | null, issues: IssueList, out: Counters): void => {
    const idKey = Object.hasOwn(record, 'resourceId') ? 'resourceId' : 'resourceid';
    const resourceId = asString(own(record, idKey));
    const accountId = accountOf(resourceId, item.index, joinPointer(item.pointer, [idKey]), issues);
    const properties = own(record, 'properties');
    const propertiesPointer = joinPointer(item.pointer, ['properties']);
    if (!isObject(properties)) {
      issues.add(item.index, propertiesPointer, properties === undefined ? 'is required' : 'must be an object');
      return;
    }
    const version = asNumber(own(properties, 'Version'));
    if (version !== null && version !== 1 && version !== 2)
      issues.add(item.index, joinPointer(propertiesPointer, ['Version']), 'must be 1 or 2');
    const groups = list(properties, 'flows', item.index, propertiesPointer, issues);
    if (!groups || (version !== null && version !== 1 && version !== 2)) return;
    groups.forEach((group, g) => {
      const groupPointer = joinPointer(propertiesPointer, ['flows', g]);
      if (!isObject(group)) return issues.add(item.index, groupPointer, 'must be an object');
      const flows = list(group, 'flows', item.index, groupPointer, issues);
      flows?.forEach((flow, f) => {
        const flowPointer = joinPointer(groupPointer, ['flows', f]);
        if (!isObject(flow)) return issues.add(item.index, flowPointer, 'must be an object');
        const ctx: TupleContext = {
          kind: 'nsg',
          version,
          accountId,
          region,
          resourceId: resourceId ?? '',
          rule: asString(own(group, 'rule')),
          mac: asString(own(flow, 'mac')),
          aclId: null,
          flowLogVersion: null,
        };
        list(flow, 'flowTuples', item.index, flowPointer, issues)?.forEach((t, k) =>
          tuple(t, ctx, item.index, joinPointer(flowPointer, ['flowTuples', k]), issues, out),
        );
      });
    });
  };

  const vnetRecord = (record: JsonObject, item: Item, region: string | null, issues: IssueList, out: Counters): void => {
    const targetId = asString(own(record, 'targetResourceID'));
    const accountId = accountOf(targetId, item.index, joinPointer(item.pointer, ['targetResourceID']), issues);
    const flowRecords = own(record, 'flowRecords');
    const recordsPointer = joinPointer(item.pointer, ['flowRecords']);
    if (!isObject(flowRecords)) {
      issues.add(item.index, recordsPointer, flowRecords === undefined ? 'is required' : 'must be an object');
      return;
    }
    const flows = list(flowRecords, 'flows', item.index, recordsPointer, issues);
    if (!flows) return;
    const flowLogId = asString(own(record, 'flowLogResourceID'));
    flows.forEach((flow, f) => {
      const flowPointer = joinPointer(recordsPointer, ['flows', f]);
      if (!isObject(flow)) return issues.add(item.index, flowPointer, 'must be an object');
      list(flow, 'flowGroups', item.index, flowPointer, issues)?.forEach((group, g) => {
        const groupPointer = joinPointer(flowPointer, ['flowGroups', g]);
        if (!isObject(group)) return issues.add(item.index, groupPointer, 'must be an object');
        const ctx: TupleContext = {
          kind: 'vnet',
          version: null,
          accountId,
          region: region ?? regionOfFlowLog(flowLogId),
          resourceId: targetId ?? '',
          rule: asString(own(group, 'rule')),
          mac: asString(own(record, 'macAddress')),
          aclId: asString(own(flow, 'aclID')),
          flowLogVersion: asNumber(own(record, 'flowLogVersion')),
        };
        list(group, 'flowTuples', item.index, groupPointer, issues)?.forEach((t, k) =>
          tuple(t, ctx, item.index, joinPointer(groupPointer, ['flowTuples', k]), issues, out),
        );
      });
    });
  };

  return (body, ctx) => {
    const issues = new IssueList();
    const out: Counters = { signals: [], ignored: 0 };
    // Flow log records name no region; the query may (`?region=westeurope`).
    const region = ctx.query['region'] ?? null;
    for (const item of unwrapList(body, ['records'], issues)) {
      const record = item.value;
      if (!isObject(record)) {
        issues.add(item.index, item.pointer, 'a flow log record must be a JSON object');
        continue;
      }
      const category = own(record, 'category');
      if (category === 'FlowLogFlowEvent' || (category === undefined && Object.hasOwn(record, 'flowRecords'))) {
        vnetRecord(record, item, region, issues, out);
      } else if (category === 'NetworkSecurityGroupFlowEvent' || (category === undefined && Object.hasOwn(record, 'properties'))) {
        nsgRecord(record, item, region, issues, out);
      } else {
        issues.add(
          item.index,
          joinPointer(item.pointer, ['category']),
          `must be "NetworkSecurityGroupFlowEvent" (NSG flow logs) or "FlowLogFlowEvent" (virtual network flow logs), got ${JSON.stringify(category ?? null)}`,
        );
      }
    }
    issues.throwIfAny();
    return { signals: out.signals, ignored: out.ignored };
  };
}

export const parseAzureFlowLogs: Parser = createAzureFlowLogsParser();
