/**
 * What the four flow-log parsers share: deciding whether a flow touches mining (a stratum port or
 * a known pool address, in either direction), which side of it is ours, and the signal it becomes.
 * Each cloud only reads its own record format and hands the 5-tuple here, so the clouds agree on
 * the attributes, severities and titles of `network` signals.
 */
import type { PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import { parseAddress } from '#src/connectors/network/pool-addresses.js';
import type { Provider, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import { isStratumPort, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

/** `egress`: traffic leaving the monitored interface/VM; `ingress`: arriving at it. */
export type Direction = 'egress' | 'ingress';

/** Normalized decision: AWS words; Azure `A`/`D` and VNet state `D` map onto them. */
export type FlowAction = 'ACCEPT' | 'REJECT';

export interface FlowTuple {
  srcAddress: string | null;
  srcPort: number | null;
  dstAddress: string | null;
  dstPort: number | null;
}

export interface FlowMatch {
  direction: Direction;
  localAddress: string | null;
  localPort: number | null;
  remoteAddress: string | null;
  remotePort: number | null;
  /** The remote side's port is a stratum port: our side talks to a pool. */
  stratumPort: boolean;
  /** Our side's port is a stratum port: something connects to a stratum port here (a probe, or a proxy we run). */
  localStratumPort: boolean;
  /** The remote address is on the known pool list. */
  poolAddress: boolean;
  /** A mining indicator: the flow goes to (or comes back from) a pool. */
  mining: boolean;
}

/** Private, loopback, link-local, unique-local and carrier-grade NAT space: addresses an interface itself has, not the internet's. */
export function isPrivateAddress(literal: string | null): boolean {
  if (literal === null) return false;
  const address = parseAddress(literal);
  if (!address) return false;
  const range = address.range();
  return ['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat'].includes(range);
}

/**
 * Matches a flow against the mining indicators; null when it touches none (the record is ignored).
 *
 * `reported` is the direction the log states (AWS `flow-direction`, Azure `I`/`O`, GCP `reporter`).
 * When the log does not say (the AWS default format), the side with the private address is ours,
 * since an interface's own address is a VPC address; when both or neither are private, the side
 * with the pool port or address is the remote one.
 */
export function matchFlow(flow: FlowTuple, reported: Direction | null, pools: PoolAddressList): FlowMatch | null {
  const srcStratum = flow.srcPort !== null && isStratumPort(flow.srcPort);
  const dstStratum = flow.dstPort !== null && isStratumPort(flow.dstPort);
  const srcPool = pools.has(flow.srcAddress);
  const dstPool = pools.has(flow.dstAddress);
  if (!srcStratum && !dstStratum && !srcPool && !dstPool) return null;

  let direction = reported;
  if (direction === null) {
    const srcPrivate = isPrivateAddress(flow.srcAddress);
    const dstPrivate = isPrivateAddress(flow.dstAddress);
    if (srcPrivate !== dstPrivate) direction = srcPrivate ? 'egress' : 'ingress';
    else direction = dstStratum || dstPool ? 'egress' : 'ingress';
  }
  const egress = direction === 'egress';
  const remotePort = egress ? flow.dstPort : flow.srcPort;
  const localPort = egress ? flow.srcPort : flow.dstPort;
  const stratumPort = egress ? dstStratum : srcStratum;
  const poolAddress = egress ? dstPool : srcPool;
  return {
    direction,
    localAddress: egress ? flow.srcAddress : flow.dstAddress,
    localPort,
    remoteAddress: egress ? flow.dstAddress : flow.srcAddress,
    remotePort,
    stratumPort,
    localStratumPort: egress ? srcStratum : dstStratum,
    poolAddress,
    mining: stratumPort || poolAddress,
  };
}

/**
 * A connection to a pool that went through is HIGH; one the network refused is LOW (a miner is
 * still running and trying); one whose outcome the log does not record is MEDIUM. A connection
 * *to* a stratum port on our side is context (internet scanners probe 3333/4444/5555 all day).
 */
export function flowSeverity(match: FlowMatch, action: FlowAction | null): Severity {
  if (!match.mining) return 'INFO';
  if (action === 'REJECT') return 'LOW';
  return action === 'ACCEPT' ? 'HIGH' : 'MEDIUM';
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

export function protocolName(protocol: number | null): string {
  if (protocol === null) return 'IP';
  return PROTOCOL_NAMES[protocol] ?? `protocol ${protocol}`;
}

function endpoint(address: string | null, port: number | null): string {
  const host = address ?? 'an unknown address';
  if (port === null) return host;
  return address !== null && address.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function flowTitle(match: FlowMatch, action: FlowAction | null, local: string, protocol: number | null): string {
  const refused = action === 'REJECT' ? ' (rejected)' : '';
  const proto = protocolName(protocol);
  if (!match.mining) {
    return `${endpoint(match.remoteAddress, match.remotePort)} reached stratum port ${match.localPort ?? '?'} on ${local} over ${proto}${refused}`;
  }
  const why =
    match.stratumPort && match.poolAddress
      ? 'known pool address on a stratum port'
      : match.stratumPort
        ? 'stratum port'
        : 'known pool address';
  const remote = endpoint(match.remoteAddress, match.remotePort);
  return match.direction === 'egress'
    ? `${local} connected to ${remote} over ${proto}, a ${why}${refused}`
    : `${local} received ${proto} traffic from ${remote}, a ${why}${refused}`;
}

export interface FlowSignalInput {
  source: string;
  sourceId: string;
  sourceVersion: string;
  provider: Provider;
  accountId: string;
  region: string | null;
  observedAt: Date;
  observedUntil: Date;
  match: FlowMatch;
  action: FlowAction | null;
  protocol: number | null;
  bytes: number | null;
  packets: number | null;
  resources: ResourceRef[];
  /** How the title names our side: instance id, VM name, NIC MAC, or the local address. */
  localName: string;
  /** Cloud-specific facts (interfaceId, rule, reporter …). */
  extra: Record<string, unknown>;
  raw: unknown;
}

/** The `network` signal of a flow that touches mining. */
export function flowSignal(input: FlowSignalInput): Signal {
  const { match } = input;
  const until = input.observedUntil.getTime() >= input.observedAt.getTime() ? input.observedUntil : input.observedAt;
  return {
    source: input.source,
    sourceId: input.sourceId,
    sourceVersion: input.sourceVersion,
    kind: 'network',
    provider: input.provider,
    accountId: input.accountId,
    region: input.region,
    observedAt: input.observedAt.toISOString(),
    observedUntil: until.toISOString(),
    severity: flowSeverity(match, input.action),
    title: flowTitle(match, input.action, input.localName, input.protocol),
    mining: match.mining,
    resources: input.resources,
    principal: null,
    cost: null,
    attributes: {
      remoteAddress: match.remoteAddress,
      remotePort: match.remotePort,
      localAddress: match.localAddress,
      localPort: match.localPort,
      protocol: input.protocol,
      bytes: input.bytes,
      packets: input.packets,
      action: input.action,
      direction: match.direction,
      stratumPort: match.stratumPort,
      localStratumPort: match.localStratumPort,
      poolAddress: match.poolAddress,
      techniques: match.mining ? [RESOURCE_HIJACKING] : [],
      ...input.extra,
    },
    raw: input.raw,
  };
}

/** A whole number in 0…max written as decimal digits (flow logs are text): null when it is not one. */
export function parseWholeNumber(text: string, max = Number.MAX_SAFE_INTEGER): number | null {
  if (!/^\d{1,16}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

export const MAX_PORT = 65_535;
