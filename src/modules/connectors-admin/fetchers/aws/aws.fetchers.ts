/**
 * AWS streams: Cost Explorer anomalies and daily cost, GuardDuty findings, CloudTrail calls that
 * start paid compute, and CloudWatch CPU of the instances the other streams name (their instance
 * types from EC2). Each response goes to the `aws.*` parser that `/v1/ingest` uses for it.
 */
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { GetAnomaliesCommand, GetCostAndUsageCommand, type Expression } from '@aws-sdk/client-cost-explorer';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { GetFindingsCommand, ListDetectorsCommand, ListFindingsCommand } from '@aws-sdk/client-guardduty';
import { COST_INCURRING_EVENTS } from '#src/connectors/aws/cloudtrail.parser.js';
import type { CostRow } from '#src/connectors/signal.js';
import { GUARDDUTY_MINING_TYPES } from '#src/connectors/taxonomy.js';
import { accountRegionScopes, AwsClients, roleArnFor, splitScope } from '#src/modules/connectors-admin/fetchers/aws/aws-clients.js';
import {
  asWireJson,
  DAY_MS,
  emptyPage,
  isoDay,
  session,
  startOfUtcDay,
  type Json,
  type PageResult,
  type StreamContext,
  type StreamFetcher,
} from '#src/modules/connectors-admin/fetchers/fetcher.js';

const MINUTE_MS = 60_000;

function clients(ctx: StreamContext): AwsClients {
  return session(
    ctx.run,
    `aws/${ctx.connector.id}`,
    () => new AwsClients(ctx.connector),
    (c) => c.destroy(),
  );
}

/** Cost Explorer answers for the account whose credentials call it: without a role, that is one view for every account. */
function costExplorerScopes(connector: StreamContext['connector']): string[] {
  return roleArnFor(connector, connector.scopes[0] ?? '') ? connector.scopes : ['*'];
}

function cursorOf<T extends object>(cursor: Json): Partial<T> {
  return cursor && typeof cursor === 'object' && !Array.isArray(cursor) ? (cursor as Partial<T>) : {};
}

// ---------------------------------------------------------------------------------------------
// Cost Explorer

export const awsCostAnomalies: StreamFetcher = {
  provider: 'aws',
  stream: 'cost-anomalies',
  description: 'Cost Anomaly Detection anomalies (Cost Explorer GetAnomalies), per completed day',
  // Anomaly detection runs after the day's billing data lands, about half a day later.
  lagMs: 12 * 60 * MINUTE_MS,
  granularity: 'day',
  scopes: costExplorerScopes,
  async fetchPage(ctx, cursor) {
    const account = ctx.scope === '*' ? (ctx.connector.scopes[0] ?? '') : ctx.scope;
    const client = clients(ctx).costExplorer(account);
    const token = typeof cursor === 'string' ? cursor : undefined;
    const response = await ctx.call('ce:GetAnomalies', () =>
      client.send(
        new GetAnomaliesCommand({
          // Both dates inclusive: the window's last day is the day before its end.
          DateInterval: { StartDate: isoDay(ctx.window.start), EndDate: isoDay(new Date(ctx.window.end.getTime() - DAY_MS)) },
          MaxResults: 100,
          NextPageToken: token,
        }),
      ),
    );
    const anomalies = response.Anomalies ?? [];
    const parsed = anomalies.length > 0 ? ctx.parse('aws.cost-anomaly', asWireJson({ Anomalies: anomalies })) : { signals: [] };
    return { signals: parsed.signals, costRows: [], items: anomalies.length, next: response.NextPageToken ?? null };
  },
};

export const AWS_COST_SOURCE = 'aws.cost-explorer';

export const awsCost: StreamFetcher = {
  provider: 'aws',
  stream: 'cost',
  description: 'Daily cost by service and usage type per region (Cost Explorer GetCostAndUsage), for the own cost baseline',
  lagMs: 12 * 60 * MINUTE_MS,
  granularity: 'day',
  scopes: accountRegionScopes,
  async fetchPage(ctx, cursor) {
    const { account, region } = splitScope(ctx.scope);
    const client = clients(ctx).costExplorer(account);
    const filters: Expression[] = [{ Dimensions: { Key: 'REGION', Values: [region] } }];
    if (/^\d{12}$/.test(account)) filters.push({ Dimensions: { Key: 'LINKED_ACCOUNT', Values: [account] } });
    const response = await ctx.call('ce:GetCostAndUsage', () =>
      client.send(
        new GetCostAndUsageCommand({
          TimePeriod: { Start: isoDay(ctx.window.start), End: isoDay(ctx.window.end) },
          Granularity: 'DAILY',
          Metrics: ['UnblendedCost'],
          // Cost Explorer groups by two dimensions at most: the region is the filter.
          GroupBy: [
            { Type: 'DIMENSION', Key: 'SERVICE' },
            { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
          ],
          Filter: filters.length === 1 ? filters[0] : { And: filters },
          NextPageToken: typeof cursor === 'string' ? cursor : undefined,
        }),
      ),
    );
    const costRows: CostRow[] = [];
    for (const period of response.ResultsByTime ?? []) {
      const day = period.TimePeriod?.Start;
      if (!day) continue;
      for (const group of period.Groups ?? []) {
        const metric = group.Metrics?.['UnblendedCost'];
        const amount = Number(metric?.Amount);
        if (!metric || !Number.isFinite(amount) || amount === 0) continue;
        costRows.push({
          source: AWS_COST_SOURCE,
          provider: 'aws',
          accountId: account,
          service: group.Keys?.[0] ?? 'unknown',
          region,
          resourceId: null,
          usageType: group.Keys?.[1] ?? null,
          day,
          amount,
          currency: metric.Unit ?? 'USD',
        });
      }
    }
    return { signals: [], costRows, items: costRows.length, next: response.NextPageToken ?? null };
  },
};

// ---------------------------------------------------------------------------------------------
// GuardDuty

/**
 * Finding types worth fetching: every mining verdict, and the credential and reconnaissance
 * findings that tell how a mining campaign got in (GuardDuty accepts at most 50 values).
 */
export const GUARDDUTY_CONTEXT_TYPES = [
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
  'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom',
  'UnauthorizedAccess:IAMUser/TorIPCaller',
  'UnauthorizedAccess:EC2/TorClient',
  'Impact:IAMUser/AnomalousBehavior',
  'Discovery:IAMUser/AnomalousBehavior',
  'Persistence:IAMUser/AnomalousBehavior',
  'Recon:IAMUser/MaliciousIPCaller',
  'Recon:IAMUser/TorIPCaller',
  'PenTest:IAMUser/KaliLinux',
  'Stealth:IAMUser/CloudTrailLoggingDisabled',
  'Impact:EC2/AbusedDomainRequest.Reputation',
  'Impact:EC2/MaliciousDomainRequest.Reputation',
  'Backdoor:EC2/C&CActivity.B',
  'Backdoor:EC2/C&CActivity.B!DNS',
  'Execution:Runtime/NewBinaryExecuted',
  'Execution:Runtime/SuspiciousTool',
  'Execution:Kubernetes/ExecInKubeSystemPod',
  'Impact:Kubernetes/MaliciousIPCaller',
  'AttackSequence:IAM/CompromisedCredentials',
  'AttackSequence:EC2/CompromisedInstanceGroup',
  'AttackSequence:EKS/CompromisedCluster',
];
export const GUARDDUTY_TYPES = [...Object.keys(GUARDDUTY_MINING_TYPES), ...GUARDDUTY_CONTEXT_TYPES];

export const awsGuardDuty: StreamFetcher = {
  provider: 'aws',
  stream: 'guardduty',
  description: 'GuardDuty findings of mining and context types, by update time, per region',
  lagMs: 5 * MINUTE_MS,
  granularity: 'instant',
  scopes: accountRegionScopes,
  async fetchPage(ctx, cursor) {
    const { account, region } = splitScope(ctx.scope);
    const client = clients(ctx).guardDuty(account, region);
    const at = cursorOf<{ detectors: string[]; d: number; token: string | null }>(cursor);
    let detectors = at.detectors;
    if (!detectors) {
      detectors = [];
      let token: string | undefined;
      do {
        const page = await ctx.call('guardduty:ListDetectors', () =>
          client.send(new ListDetectorsCommand({ MaxResults: 50, NextToken: token })),
        );
        detectors.push(...(page.DetectorIds ?? []));
        token = page.NextToken || undefined;
      } while (token);
      if (detectors.length === 0) return emptyPage();
    }
    const d = at.d ?? 0;
    const detectorId = detectors[d]!;
    const list = await ctx.call('guardduty:ListFindings', () =>
      client.send(
        new ListFindingsCommand({
          DetectorId: detectorId,
          FindingCriteria: {
            Criterion: {
              type: { Equals: GUARDDUTY_TYPES },
              updatedAt: { GreaterThanOrEqual: ctx.window.start.getTime(), LessThan: ctx.window.end.getTime() },
            },
          },
          SortCriteria: { AttributeName: 'updatedAt', OrderBy: 'ASC' },
          MaxResults: 50,
          NextToken: at.token ?? undefined,
        }),
      ),
    );
    const ids = list.FindingIds ?? [];
    let signals: PageResult['signals'] = [];
    if (ids.length > 0) {
      const got = await ctx.call('guardduty:GetFindings', () =>
        client.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ids })),
      );
      signals = ctx.parse('aws.guardduty', asWireJson({ Findings: got.Findings ?? [] })).signals;
    }
    const next: Json = list.NextToken
      ? { detectors, d, token: list.NextToken }
      : d + 1 < detectors.length
        ? { detectors, d: d + 1, token: null }
        : null;
    return { signals, costRows: [], items: ids.length, next };
  },
};

// ---------------------------------------------------------------------------------------------
// CloudTrail

/** LookupEvents filters on one attribute: one query per cost-incurring event name. */
export const CLOUDTRAIL_EVENT_NAMES = [...COST_INCURRING_EVENTS].sort();

export const awsCloudTrail: StreamFetcher = {
  provider: 'aws',
  stream: 'cloudtrail',
  description:
    'CloudTrail management events that start paid compute (RunInstances, RequestSpotInstances, CreateFunction, RegisterTaskDefinition …), per region',
  // CloudTrail delivers events to LookupEvents within about 15 minutes of the call.
  lagMs: 15 * MINUTE_MS,
  granularity: 'instant',
  scopes: accountRegionScopes,
  async fetchPage(ctx, cursor) {
    const { account, region } = splitScope(ctx.scope);
    const client = clients(ctx).cloudTrail(account, region);
    const at = cursorOf<{ e: number; token: string | null }>(cursor);
    const e = at.e ?? 0;
    const eventName = CLOUDTRAIL_EVENT_NAMES[e]!;
    const response = await ctx.call('cloudtrail:LookupEvents', () =>
      client.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }],
          StartTime: ctx.window.start,
          EndTime: ctx.window.end,
          MaxResults: 50,
          NextToken: at.token ?? undefined,
        }),
      ),
    );
    const events = response.Events ?? [];
    const signals = events.length > 0 ? ctx.parse('aws.cloudtrail', asWireJson({ Events: events })).signals : [];
    const next: Json = response.NextToken
      ? { e, token: response.NextToken }
      : e + 1 < CLOUDTRAIL_EVENT_NAMES.length
        ? { e: e + 1, token: null }
        : null;
    return { signals, costRows: [], items: events.length, next };
  },
};

// ---------------------------------------------------------------------------------------------
// CloudWatch CPU (with EC2 instance types)

interface Followed {
  firstSeen: string;
  lastNamed: string;
  type: string | null;
  /** Metrics are fetched up to here. */
  until: string | null;
}

interface MetricCall {
  start: string;
  end: string;
  ids: string[];
}

/** Instances are followed for a week after a signal last named them. */
const FOLLOW_MS = 7 * DAY_MS;
/** CPU from a day before an instance was first named: what it did before anyone noticed. */
const LOOKBACK_MS = DAY_MS;
const QUERIES_PER_CALL = 500;

function metricCalls(instances: Record<string, Followed>, backfillStart: Date, end: Date): MetricCall[] {
  const byRange = new Map<string, MetricCall>();
  for (const [id, f] of Object.entries(instances)) {
    const start = f.until
      ? new Date(f.until)
      : new Date(Math.max(backfillStart.getTime(), startOfUtcDay(new Date(Date.parse(f.firstSeen) - LOOKBACK_MS)).getTime()));
    // One call per UTC day: a day's average says "sustained", a month's would drown it.
    for (let day = startOfUtcDay(start); day < end; day = new Date(day.getTime() + DAY_MS)) {
      const from = new Date(Math.max(day.getTime(), start.getTime()));
      const to = new Date(Math.min(day.getTime() + DAY_MS, end.getTime()));
      if (from >= to) continue;
      const key = `${from.toISOString()}/${to.toISOString()}`;
      const call = byRange.get(key) ?? { start: from.toISOString(), end: to.toISOString(), ids: [] };
      call.ids.push(id);
      byRange.set(key, call);
    }
  }
  return [...byRange.values()]
    .sort((a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end))
    .flatMap((call) => {
      const chunks: MetricCall[] = [];
      const ids = [...call.ids].sort();
      for (let i = 0; i < ids.length; i += QUERIES_PER_CALL) chunks.push({ ...call, ids: ids.slice(i, i + QUERIES_PER_CALL) });
      return chunks;
    });
}

async function describeTypes(ctx: StreamContext, account: string, region: string, ids: string[]): Promise<Map<string, string>> {
  const client = clients(ctx).ec2(account, region);
  const types = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 200) {
    let token: string | undefined;
    do {
      // A filter rather than InstanceIds: one terminated instance would fail the whole call.
      const page = await ctx.call('ec2:DescribeInstances', () =>
        client.send(
          new DescribeInstancesCommand({
            Filters: [{ Name: 'instance-id', Values: ids.slice(i, i + 200) }],
            MaxResults: 1000,
            NextToken: token,
          }),
        ),
      );
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          if (instance.InstanceId && instance.InstanceType) types.set(instance.InstanceId, instance.InstanceType);
        }
      }
      token = page.NextToken || undefined;
    } while (token);
  }
  return types;
}

export const awsCloudWatch: StreamFetcher = {
  provider: 'aws',
  stream: 'cloudwatch',
  description:
    'CloudWatch CPUUtilization (hourly averages, per day) of the EC2 instances other signals name, with their types from EC2 DescribeInstances',
  lagMs: 10 * MINUTE_MS,
  granularity: 'hour',
  scopes: accountRegionScopes,
  hasPendingWork(scope, state, run) {
    const { account, region } = splitScope(scope);
    const followed = (state['instances'] as Record<string, Followed> | undefined) ?? {};
    return run.named.some(
      (n) => n.provider === 'aws' && n.type === 'aws.ec2.instance' && n.accountId === account && n.region === region && !followed[n.id],
    );
  },
  async fetchPage(ctx, cursor) {
    const { account, region } = splitScope(ctx.scope);
    const instances = { ...((ctx.state['instances'] as Record<string, Followed> | undefined) ?? {}) };
    let at = cursorOf<{ calls: MetricCall[]; i: number; token: string | null }>(cursor);
    if (!at.calls) {
      for (const named of ctx.run.named) {
        if (named.provider !== 'aws' || named.type !== 'aws.ec2.instance' || named.accountId !== account || named.region !== region)
          continue;
        const known = instances[named.id];
        instances[named.id] = {
          firstSeen: known && known.firstSeen < named.seenAt ? known.firstSeen : named.seenAt,
          lastNamed: known && known.lastNamed > named.seenAt ? known.lastNamed : named.seenAt,
          type: named.instanceType ?? known?.type ?? null,
          until: known?.until ?? null,
        };
      }
      for (const [id, f] of Object.entries(instances)) {
        if (Date.parse(f.lastNamed) < ctx.now.getTime() - FOLLOW_MS && f.until && Date.parse(f.until) > Date.parse(f.lastNamed) + FOLLOW_MS)
          delete instances[id];
      }
      const untyped = Object.entries(instances)
        .filter(([, f]) => !f.type)
        .map(([id]) => id);
      if (untyped.length > 0) {
        const types = await describeTypes(ctx, account, region, untyped);
        for (const [id, type] of types) instances[id] = { ...instances[id]!, type };
      }
      ctx.state['instances'] = instances;
      const backfillStart = new Date(ctx.now.getTime() - ctx.connector.backfillDays * DAY_MS);
      const calls = metricCalls(instances, backfillStart, ctx.window.end);
      if (calls.length === 0) return emptyPage();
      at = { calls, i: 0, token: null };
    }
    const calls = at.calls!;
    const i = at.i ?? 0;
    const call = calls[i]!;
    const queries: MetricDataQuery[] = call.ids.map((id, n) => ({
      Id: `cpu${n}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: id }] },
        Period: 3600,
        Stat: 'Average',
      },
      ReturnData: true,
    }));
    const response = await ctx.call('cloudwatch:GetMetricData', () =>
      clients(ctx)
        .cloudWatch(account, region)
        .send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: new Date(call.start),
            EndTime: new Date(call.end),
            ScanBy: 'TimestampDescending',
            NextToken: at.token ?? undefined,
          }),
        ),
    );
    const results = response.MetricDataResults ?? [];
    const points = results.reduce((n, r) => n + (r.Values?.length ?? 0), 0);
    // The queries name each instance; the instance type rides along as a dimension for the parser.
    const described = queries.map((q, n) => {
      const type = instances[call.ids[n]!]?.type;
      const dimensions = [...(q.MetricStat!.Metric!.Dimensions ?? []), ...(type ? [{ Name: 'InstanceType', Value: type }] : [])];
      return { ...q, MetricStat: { ...q.MetricStat!, Metric: { ...q.MetricStat!.Metric!, Dimensions: dimensions } } };
    });
    const signals =
      points > 0
        ? ctx.parse(
            'aws.cloudwatch',
            asWireJson({
              accountId: account,
              region,
              MetricDataQueries: described,
              MetricDataResults: results,
              Messages: response.Messages ?? [],
            }),
          ).signals
        : [];
    let next: Json = null;
    if (response.NextToken) next = { calls: calls as unknown as Json, i, token: response.NextToken };
    else if (i + 1 < calls.length) next = { calls: calls as unknown as Json, i: i + 1, token: null };
    else {
      for (const id of Object.keys(instances)) instances[id] = { ...instances[id]!, until: ctx.window.end.toISOString() };
      ctx.state['instances'] = instances;
    }
    return { signals, costRows: [], items: points, next };
  },
};

export const awsFetchers: StreamFetcher[] = [awsCostAnomalies, awsCost, awsCloudTrail, awsGuardDuty, awsCloudWatch];
