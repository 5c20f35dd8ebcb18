/**
 * `aws.route53-resolver`: Route 53 Resolver (VPC Resolver) query logs (Route 53 Developer Guide,
 * "Values that appear in VPC Resolver query logs"): `{"version", "account_id", "region", "vpc_id",
 * "query_timestamp", "query_name", "query_type", "query_class", "rcode", "answers": [{"Rdata",
 * "Type", "Class"}], "srcaddr", "srcport", "transport", "srcids": {"instance", "resolver_endpoint"}}`,
 * plus `firewall_*` fields when DNS Firewall acted. Accepted as one record, an array, NDJSON (S3
 * delivery files are one record a line), or inside a CloudWatch Logs subscription message, Lambda
 * `awslogs` event, Firehose request or `FilterLogEvents` response (log-delivery.ts) whose
 * messages are the records as JSON text.
 *
 * Queries for pool domains become `network` signals (one per query); every other query is counted
 * as ignored.
 */
import { z } from 'zod';

import {
  asString,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalObject,
  optionalString,
  own,
  parseIsoDate,
  requiredString,
  type JsonObject,
} from '#src/connectors/common.js';
import { forEachDeliveredLine, type LogLine } from '#src/connectors/network/log-delivery.js';
import type { Parser, ResourceRef, Severity, Signal } from '#src/connectors/signal.js';
import { isPoolDomain, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export const ROUTE53_RESOLVER_SOURCE = 'aws.route53-resolver';

const text = z
  .union([z.string(), z.number()], { error: (i) => `must be a string, got ${i.input === null ? 'null' : typeof i.input}` })
  .optional();

const recordSchema = z.looseObject(
  {
    version: text,
    account_id: optionalString,
    region: optionalString,
    vpc_id: optionalString,
    query_timestamp: isoDateString,
    query_name: requiredString,
    query_type: optionalString,
    query_class: optionalString,
    rcode: optionalString,
    answers: z
      .array(z.looseObject({ Rdata: optionalString, Type: optionalString, Class: optionalString }, { error: 'must be an object' }), {
        error: 'must be an array',
      })
      .optional(),
    srcaddr: optionalString,
    // The documented example writes the port as a string ("56067").
    srcport: text,
    transport: optionalString,
    srcids: optionalObject,
    firewall_rule_action: optionalString,
  },
  { error: 'a Resolver query log record must be a JSON object' },
);

type ResolverRecord = z.infer<typeof recordSchema>;

/** `pool.supportxmr.com.` → `pool.supportxmr.com`: query names are written fully qualified. */
export function queryDomain(queryName: string): string {
  return queryName.trim().replace(/\.$/, '').toLowerCase();
}

interface Where {
  index: number;
  pointer: string;
  owner: string | null;
  raw: unknown;
}

function toSignal(record: ResolverRecord, where: Where, query: Record<string, string | undefined>, issues: IssueList): Signal | null {
  const accountId = record.account_id ?? where.owner ?? query['accountId'] ?? null;
  if (!accountId) {
    issues.add(where.index, joinPointer(where.pointer, ['account_id']), 'is required');
    return null;
  }
  const region = record.region ?? query['region'] ?? null;
  const domain = queryDomain(record.query_name);
  const at = parseIsoDate(record.query_timestamp)!;
  const instanceId = asString(own(record.srcids ?? {}, 'instance'));
  const resolverEndpoint = asString(own(record.srcids ?? {}, 'resolver_endpoint'));
  const resources: ResourceRef[] = instanceId ? [{ provider: 'aws', accountId, region, type: 'aws.ec2.instance', id: instanceId }] : [];
  const answers = (record.answers ?? []).map((a) => a.Rdata).filter((a): a is string => typeof a === 'string' && a.length > 0);
  const blocked = record.firewall_rule_action === 'BLOCK';
  // A pool lookup is a miner starting up (GuardDuty rates BitcoinTool.B!DNS high); one DNS
  // Firewall blocked means the miner is there but cannot reach its pool.
  const severity: Severity = blocked ? 'LOW' : 'HIGH';
  const who = instanceId ?? record.srcaddr ?? resolverEndpoint ?? 'a client';
  const srcport = record.srcport === undefined ? null : String(record.srcport);
  return {
    source: ROUTE53_RESOLVER_SOURCE,
    // Query logs carry no id: the querying socket, the name and the second identify a query.
    sourceId: [
      accountId,
      record.vpc_id ?? '-',
      `${record.srcaddr ?? '-'}:${srcport ?? '-'}`,
      record.query_timestamp,
      domain,
      record.query_type ?? '-',
    ].join('/'),
    sourceVersion: at.toISOString(),
    kind: 'network',
    provider: 'aws',
    accountId,
    region,
    observedAt: at.toISOString(),
    observedUntil: at.toISOString(),
    severity,
    title: `${who} looked up mining pool domain ${domain}${blocked ? ' (blocked by DNS Firewall)' : ''}`,
    mining: true,
    resources,
    principal: null,
    cost: null,
    attributes: {
      domain,
      queryType: record.query_type ?? null,
      rcode: record.rcode ?? null,
      answers,
      poolDomain: true,
      sourceAddress: record.srcaddr ?? null,
      vpcId: record.vpc_id ?? null,
      transport: record.transport ?? null,
      resolverEndpoint,
      firewallAction: record.firewall_rule_action ?? null,
      techniques: [RESOURCE_HIJACKING],
    },
    raw: where.raw,
  };
}

export const parseRoute53ResolverLogs: Parser = (body, ctx) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  let ignored = 0;

  const read = (value: unknown, where: Where, pointerOfFields: string): void => {
    const result = recordSchema.safeParse(value);
    if (!result.success) {
      issues.addZod(result.error, { value, index: where.index, pointer: pointerOfFields });
      return;
    }
    if (!isPoolDomain(result.data.query_name)) {
      ignored += 1;
      return;
    }
    const signal = toSignal(result.data, { ...where, pointer: pointerOfFields }, ctx.query, issues);
    if (signal) signals.push(signal);
  };

  // A delivered message is the record as JSON text; its fields are reported below the message's pointer.
  const onLine = (line: LogLine): void => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(line.text);
    } catch {
      issues.add(line.index, line.pointer, 'is not valid JSON: a Resolver query log record was expected');
      return;
    }
    if (!isObject(decoded)) {
      issues.add(line.index, line.pointer, 'must hold a JSON object');
      return;
    }
    read(
      decoded,
      { index: line.index, pointer: line.pointer, owner: line.owner, raw: line.raw === line.text ? decoded : line.raw },
      line.pointer,
    );
  };

  const item = (value: unknown, index: number | null, pointer: string): void => {
    if (isObject(value) && forEachDeliveredLine(value as JsonObject, { index, pointer }, issues, onLine)) return;
    read(value, { index: index ?? 0, pointer, owner: null, raw: value }, pointer);
  };

  if (Array.isArray(body)) body.forEach((value, i) => item(value, i, `/${i}`));
  else if (isObject(body)) item(body, null, '');
  else issues.add(null, '', `expected a JSON object or array, got ${body === null ? 'null' : typeof body}`);

  issues.throwIfAny();
  return { signals, ignored };
};
