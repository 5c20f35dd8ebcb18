import { createHash } from 'node:crypto';
import { FakeServer, pageNumber, pageToken, readToken, type FakeReply, type FakeRequest } from './fake-server.js';

/**
 * AWS on loopback, speaking each API's own wire protocol to the real SDK clients:
 * - Cost Explorer and CloudTrail: JSON 1.1 (`X-Amz-Target`), PascalCase members;
 * - GuardDuty: REST JSON, camelCase on the wire;
 * - CloudWatch GetMetricData: JSON 1.0 with `x-amzn-query-mode` (query-compatible errors);
 * - EC2 DescribeInstances and STS AssumeRole: form-encoded query, XML replies.
 * The service and region come from the SigV4 credential scope, as AWS routes them. Every list
 * pages with tokens, and a test can throttle or fail any operation and page.
 */

export interface AwsFakeData {
  cloudTrail: Array<{ region: string; record: Record<string, unknown> }>;
  /** GuardDuty findings as the wire carries them (camelCase). */
  findings: Array<{ region: string; detectorId: string; finding: Record<string, unknown> }>;
  metrics: Array<{ region: string; instanceId: string; points: Array<{ at: number; value: number }> }>;
  instances: Array<{ region: string; instanceId: string; instanceType: string; ownerId: string }>;
  /** Cost Explorer anomalies as GetAnomalies returns them (PascalCase). */
  anomalies: Array<Record<string, unknown>>;
  costs: Array<{ day: string; region: string; account: string; service: string; usageType: string; amount: number }>;
}

export interface AwsFakeOptions {
  /** The access key every call must be signed with (or the temporary one of an assumed role). */
  accessKeyId?: string;
  /** A role that must be assumed (with this external id) before any other call. */
  role?: { roleArn: string; externalId: string };
  /**
   * Quotes the external id it was sent back in AccessDenied: a careless proxy or a verbose service
   * might, and MineWatch must still never show it.
   */
  echoExternalIdInErrors?: boolean;
  pageSizes?: Partial<Record<'findings' | 'events' | 'series' | 'instances' | 'anomalies' | 'costDays', number>>;
}

const DEFAULT_PAGES = { findings: 10, events: 2, series: 8, instances: 10, anomalies: 1, costDays: 20 };
const TEMP_KEY_PREFIX = 'ASIAFAKETEMPORARY';

function scopeOf(authorization: string | undefined): { accessKeyId: string | null; region: string | null; service: string | null } {
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return m ? { accessKeyId: m[1]!, region: m[2]!, service: m[3]! } : { accessKeyId: null, region: null, service: null };
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class AwsFake extends FakeServer {
  private readonly pages: typeof DEFAULT_PAGES;
  private readonly issuedKeys = new Set<string>();

  constructor(
    readonly data: AwsFakeData,
    private readonly options: AwsFakeOptions = {},
  ) {
    super();
    this.pages = { ...DEFAULT_PAGES, ...options.pageSizes };
  }

  protected handle(req: FakeRequest): FakeReply {
    const { accessKeyId, region, service } = scopeOf(req.headers['authorization'] as string | undefined);
    const target = String(req.headers['x-amz-target'] ?? '');
    switch (service) {
      case 'sts':
        return this.sts(req, accessKeyId);
      case 'ce':
        return this.guarded(accessKeyId, region, `ce:${target.split('.').pop()}`, 'json1.1', () =>
          this.costExplorer(target, JSON.parse(req.body || '{}'), accessKeyId),
        );
      case 'cloudtrail':
        return this.guarded(accessKeyId, region, 'cloudtrail:LookupEvents', 'json1.1', () =>
          this.lookupEvents(region!, JSON.parse(req.body || '{}'), accessKeyId),
        );
      case 'monitoring':
        return this.guarded(accessKeyId, region, 'cloudwatch:GetMetricData', 'query-json', () =>
          this.getMetricData(region!, JSON.parse(req.body || '{}'), accessKeyId),
        );
      case 'guardduty':
        return this.guardDuty(req, region!, accessKeyId);
      case 'ec2':
        return this.guarded(accessKeyId, region, 'ec2:DescribeInstances', 'ec2', () =>
          this.describeInstances(region!, new URLSearchParams(req.body), accessKeyId),
        );
      default:
        return { status: 400, body: `the fake does not speak ${service}` };
    }
  }

  /** Checks the signing key, then lets the handler answer or raise a fault. */
  private guarded(
    accessKeyId: string | null,
    region: string | null,
    operation: string,
    protocol: 'json1.1' | 'query-json' | 'rest' | 'ec2',
    answer: () => FakeReply,
  ): FakeReply {
    const denied = this.denied(accessKeyId);
    if (denied) {
      this.record({ operation, region, key: 'denied', status: 403, principal: accessKeyId });
      return this.error(protocol, 403, 'UnrecognizedClientException', denied);
    }
    return answer();
  }

  private denied(accessKeyId: string | null): string | null {
    if (this.options.role)
      return accessKeyId && this.issuedKeys.has(accessKeyId)
        ? null
        : 'The security token included in the request is invalid (the role was not assumed).';
    if (this.options.accessKeyId && accessKeyId !== this.options.accessKeyId)
      return 'The security token included in the request is invalid.';
    return null;
  }

  /** Answers a faulted page, or null to go on. */
  private faulted(
    operation: string,
    page: number,
    protocol: 'json1.1' | 'query-json' | 'rest' | 'ec2',
    region: string | null,
    key: string,
    principal: string | null,
  ): FakeReply | null {
    const kind = this.fault(operation, page, region);
    if (!kind) return null;
    const status = kind === 'throttle' ? (protocol === 'rest' ? 429 : protocol === 'ec2' ? 503 : 400) : 500;
    this.record({ operation, region, key, status, principal });
    const name =
      kind === 'error'
        ? protocol === 'ec2'
          ? 'InternalError'
          : protocol === 'rest'
            ? 'InternalServerErrorException'
            : 'InternalFailure'
        : operation.startsWith('ce:')
          ? 'LimitExceededException'
          : protocol === 'rest'
            ? 'TooManyRequestsException'
            : protocol === 'ec2'
              ? 'RequestLimitExceeded'
              : protocol === 'query-json'
                ? 'Throttling'
                : 'ThrottlingException';
    return this.error(
      protocol,
      status,
      name,
      kind === 'throttle' ? 'Rate exceeded' : 'We encountered an internal error. Please try again.',
    );
  }

  private error(protocol: 'json1.1' | 'query-json' | 'rest' | 'ec2' | 'sts', status: number, code: string, message: string): FakeReply {
    if (protocol === 'ec2') {
      return {
        status,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>fake-request</RequestID></Response>`,
      };
    }
    if (protocol === 'sts') {
      return {
        status,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`,
      };
    }
    const headers: Record<string, string> = {
      'content-type':
        protocol === 'rest' ? 'application/json' : protocol === 'query-json' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
      'x-amzn-errortype': code,
    };
    // Query-compatible services (CloudWatch) carry the query error code in a header of its own.
    if (protocol === 'query-json') headers['x-amzn-query-error'] = `${code};${status >= 500 ? 'Receiver' : 'Sender'}`;
    return { status, headers, body: JSON.stringify({ __type: code, message }) };
  }

  private json(protocol: 'json1.1' | 'query-json' | 'rest', body: unknown): FakeReply {
    const type =
      protocol === 'rest' ? 'application/json' : protocol === 'query-json' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    return { status: 200, headers: { 'content-type': type }, body: JSON.stringify(body) };
  }

  // -------------------------------------------------------------------------------------------
  // STS

  private sts(req: FakeRequest, accessKeyId: string | null): FakeReply {
    const form = new URLSearchParams(req.body);
    if (form.get('Action') !== 'AssumeRole') return this.error('sts', 400, 'InvalidAction', `the fake has no ${form.get('Action')}`);
    const roleArn = form.get('RoleArn') ?? '';
    const role = this.options.role;
    const ok =
      role &&
      roleArn === role.roleArn &&
      form.get('ExternalId') === role.externalId &&
      (!this.options.accessKeyId || accessKeyId === this.options.accessKeyId);
    this.record({ operation: 'sts:AssumeRole', region: null, key: roleArn, status: ok ? 200 : 403, principal: accessKeyId });
    if (!ok) {
      const echo = this.options.echoExternalIdInErrors ? ` (ExternalId=${form.get('ExternalId')})` : '';
      return this.error('sts', 403, 'AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}${echo}`);
    }
    const key = `${TEMP_KEY_PREFIX}${String(this.issuedKeys.size).padStart(3, '0')}`;
    this.issuedKeys.add(key);
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body:
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${key}</AccessKeyId><SecretAccessKey>fakeTemporarySecretKey0000000000000000000</SecretAccessKey>` +
        `<SessionToken>fakeSessionToken</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROAFAKE:minewatch</AssumedRoleId><Arn>${xmlEscape(roleArn)}/minewatch</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Cost Explorer (JSON 1.1)

  private costExplorer(target: string, body: Record<string, unknown>, principal: string | null): FakeReply {
    const operation = `ce:${target.split('.').pop()}`;
    if (operation === 'ce:GetAnomalies') {
      const interval = body['DateInterval'] as { StartDate: string; EndDate?: string };
      const key = `${interval.StartDate}..${interval.EndDate ?? ''}`;
      const offset = readToken(body['NextPageToken'] as string | undefined, key);
      const size = this.pages.anomalies;
      const fault = this.faulted(operation, pageNumber(offset, size), 'json1.1', 'us-east-1', `${key}/${offset}`, principal);
      if (fault) return fault;
      // "The returned anomaly object will have an AnomalyEndDate in the specified time range."
      const matching = this.data.anomalies.filter((a) => {
        const end = String(a['AnomalyEndDate'] ?? a['AnomalyStartDate']).slice(0, 10);
        return end >= interval.StartDate && (!interval.EndDate || end <= interval.EndDate);
      });
      const page = matching.slice(offset, offset + size);
      this.record({ operation, region: 'us-east-1', key: `${key}/${offset}`, status: 200, principal });
      return this.json('json1.1', {
        Anomalies: page,
        ...(offset + size < matching.length ? { NextPageToken: pageToken(offset + size, key) } : {}),
      });
    }
    if (operation === 'ce:GetCostAndUsage') {
      const period = body['TimePeriod'] as { Start: string; End: string };
      const filters = JSON.stringify(body['Filter'] ?? {});
      const region = /"REGION","Values":\["([^"]+)"/.exec(filters)?.[1] ?? null;
      const account = /"LINKED_ACCOUNT","Values":\["([^"]+)"/.exec(filters)?.[1] ?? null;
      const key = `${period.Start}..${period.End}/${region}/${account}`;
      const offset = readToken(body['NextPageToken'] as string | undefined, key);
      const size = this.pages.costDays;
      const fault = this.faulted(operation, pageNumber(offset, size), 'json1.1', region, `${key}/${offset}`, principal);
      if (fault) return fault;
      const days: string[] = [];
      for (let d = Date.parse(`${period.Start}T00:00:00Z`); d < Date.parse(`${period.End}T00:00:00Z`); d += 86_400_000)
        days.push(new Date(d).toISOString().slice(0, 10));
      const page = days.slice(offset, offset + size);
      const results = page.map((day) => ({
        TimePeriod: { Start: day, End: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) },
        Total: {},
        Groups: this.data.costs
          .filter((c) => c.day === day && (!region || c.region === region) && (!account || c.account === account))
          .map((c) => ({ Keys: [c.service, c.usageType], Metrics: { UnblendedCost: { Amount: c.amount.toFixed(10), Unit: 'USD' } } })),
        Estimated: false,
      }));
      this.record({ operation, region, key: `${key}/${offset}`, status: 200, principal });
      return this.json('json1.1', {
        GroupDefinitions: [
          { Type: 'DIMENSION', Key: 'SERVICE' },
          { Type: 'DIMENSION', Key: 'USAGE_TYPE' },
        ],
        ResultsByTime: results,
        DimensionValueAttributes: [],
        ...(offset + size < days.length ? { NextPageToken: pageToken(offset + size, key) } : {}),
      });
    }
    return this.error('json1.1', 400, 'UnknownOperationException', `the fake has no ${target}`);
  }

  // -------------------------------------------------------------------------------------------
  // CloudTrail LookupEvents (JSON 1.1)

  private lookupEvents(region: string, body: Record<string, unknown>, principal: string | null): FakeReply {
    const attribute = (body['LookupAttributes'] as Array<{ AttributeKey: string; AttributeValue: string }> | undefined)?.[0];
    const start = Number(body['StartTime']) * 1000;
    const end = Number(body['EndTime']) * 1000;
    const key = `${attribute?.AttributeValue}/${new Date(start).toISOString()}..${new Date(end).toISOString()}`;
    const offset = readToken(body['NextToken'] as string | undefined, key);
    const size = Math.min(this.pages.events, Number(body['MaxResults'] ?? 50));
    const fault = this.faulted('cloudtrail:LookupEvents', pageNumber(offset, size), 'json1.1', region, `${key}/${offset}`, principal);
    if (fault) return fault;
    const matching = this.data.cloudTrail
      .filter(({ region: r, record }) => {
        const at = Date.parse(String(record['eventTime']));
        return (
          r === region &&
          at >= start &&
          at <= end &&
          (!attribute || attribute.AttributeKey !== 'EventName' || record['eventName'] === attribute.AttributeValue)
        );
      })
      // Newest first, as LookupEvents returns them.
      .sort((a, b) => Date.parse(String(b.record['eventTime'])) - Date.parse(String(a.record['eventTime'])));
    const page = matching.slice(offset, offset + size).map(({ record }) => {
      const identity = record['userIdentity'] as { accessKeyId?: string; userName?: string } | undefined;
      return {
        EventId: record['eventID'],
        EventName: record['eventName'],
        ReadOnly: String(record['readOnly'] ?? false),
        AccessKeyId: identity?.accessKeyId,
        EventTime: Date.parse(String(record['eventTime'])) / 1000,
        EventSource: record['eventSource'],
        Username: identity?.userName,
        Resources: [],
        CloudTrailEvent: JSON.stringify(record),
      };
    });
    this.record({ operation: 'cloudtrail:LookupEvents', region, key: `${key}/${offset}`, status: 200, principal });
    return this.json('json1.1', { Events: page, ...(offset + size < matching.length ? { NextToken: pageToken(offset + size, key) } : {}) });
  }

  // -------------------------------------------------------------------------------------------
  // CloudWatch GetMetricData (JSON 1.0, query-compatible)

  private getMetricData(region: string, body: Record<string, unknown>, principal: string | null): FakeReply {
    const queries = body['MetricDataQueries'] as Array<{
      Id: string;
      MetricStat?: { Metric: { Dimensions?: Array<{ Name: string; Value: string }> } };
    }>;
    const start = Number(body['StartTime']) * 1000;
    const end = Number(body['EndTime']) * 1000;
    const key = `${new Date(start).toISOString()}..${new Date(end).toISOString()}/${digest(queries)}`;
    const offset = readToken(body['NextToken'] as string | undefined, key);
    const size = this.pages.series;
    const fault = this.faulted('cloudwatch:GetMetricData', pageNumber(offset, size), 'query-json', region, `${key}/${offset}`, principal);
    if (fault) return fault;
    const results = queries.slice(offset, offset + size).map((q) => {
      const instanceId = q.MetricStat?.Metric.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value;
      const points = (this.data.metrics.find((m) => m.region === region && m.instanceId === instanceId)?.points ?? [])
        .filter((p) => p.at >= start && p.at < end)
        .sort((a, b) => b.at - a.at);
      return {
        Id: q.Id,
        Label: 'CPUUtilization',
        Timestamps: points.map((p) => p.at / 1000),
        Values: points.map((p) => p.value),
        StatusCode: 'Complete',
      };
    });
    this.record({ operation: 'cloudwatch:GetMetricData', region, key: `${key}/${offset}`, status: 200, principal });
    return this.json('query-json', {
      MetricDataResults: results,
      Messages: [],
      ...(offset + size < queries.length ? { NextToken: pageToken(offset + size, key) } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // GuardDuty (REST JSON)

  private guardDuty(req: FakeRequest, region: string, principal: string | null): FakeReply {
    const path = req.url.pathname;
    const detectors = [...new Set(this.data.findings.filter((f) => f.region === region).map((f) => f.detectorId))];
    if (req.method === 'GET' && path === '/detector') {
      return this.guarded(principal, region, 'guardduty:ListDetectors', 'rest', () => {
        this.record({ operation: 'guardduty:ListDetectors', region, key: req.url.search, status: 200, principal, windowed: false });
        return this.json('rest', { detectorIds: detectors });
      });
    }
    const list = /^\/detector\/([^/]+)\/findings$/.exec(path);
    if (req.method === 'POST' && list) {
      return this.guarded(principal, region, 'guardduty:ListFindings', 'rest', () => {
        const body = JSON.parse(req.body || '{}') as {
          findingCriteria?: {
            criterion?: Record<
              string,
              { equals?: string[]; eq?: string[]; greaterThanOrEqual?: number; gte?: number; lessThan?: number; lt?: number }
            >;
          };
          maxResults?: number;
          nextToken?: string;
        };
        const criterion = body.findingCriteria?.criterion ?? {};
        const key = `${list[1]}/${new Date(Number(criterion['updatedAt']?.greaterThanOrEqual ?? 0)).toISOString()}..${new Date(Number(criterion['updatedAt']?.lessThan ?? 0)).toISOString()}/${digest(criterion)}`;
        const offset = readToken(body.nextToken, key);
        const size = Math.min(this.pages.findings, body.maxResults ?? 50);
        const fault = this.faulted('guardduty:ListFindings', pageNumber(offset, size), 'rest', region, `${key}/${offset}`, principal);
        if (fault) return fault;
        const types = criterion['type']?.equals ?? criterion['type']?.eq;
        const from = criterion['updatedAt']?.greaterThanOrEqual ?? criterion['updatedAt']?.gte ?? -Infinity;
        const to = criterion['updatedAt']?.lessThan ?? criterion['updatedAt']?.lt ?? Infinity;
        const matching = this.data.findings
          .filter((f) => f.region === region && f.detectorId === list[1])
          .map((f) => f.finding)
          .filter(
            (f) =>
              (!types || types.includes(String(f['type']))) &&
              Date.parse(String(f['updatedAt'])) >= from &&
              Date.parse(String(f['updatedAt'])) < to,
          )
          .sort(
            (a, b) =>
              Date.parse(String(a['updatedAt'])) - Date.parse(String(b['updatedAt'])) || String(a['id']).localeCompare(String(b['id'])),
          );
        this.record({ operation: 'guardduty:ListFindings', region, key: `${key}/${offset}`, status: 200, principal });
        return this.json('rest', {
          findingIds: matching.slice(offset, offset + size).map((f) => f['id']),
          ...(offset + size < matching.length ? { nextToken: pageToken(offset + size, key) } : {}),
        });
      });
    }
    const get = /^\/detector\/([^/]+)\/findings\/get$/.exec(path);
    if (req.method === 'POST' && get) {
      return this.guarded(principal, region, 'guardduty:GetFindings', 'rest', () => {
        const ids = (JSON.parse(req.body || '{}') as { findingIds?: string[] }).findingIds ?? [];
        const fault = this.faulted('guardduty:GetFindings', 1, 'rest', region, digest(ids), principal);
        if (fault) return fault;
        const findings = this.data.findings
          .filter((f) => f.region === region && f.detectorId === get[1] && ids.includes(String(f.finding['id'])))
          .map((f) => f.finding);
        this.record({ operation: 'guardduty:GetFindings', region, key: digest(ids), status: 200, principal });
        return this.json('rest', { findings });
      });
    }
    return {
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `no route ${req.method} ${path}` }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // EC2 DescribeInstances (query, XML)

  private describeInstances(region: string, form: URLSearchParams, principal: string | null): FakeReply {
    const ids: string[] = [];
    for (let f = 1; form.has(`Filter.${f}.Name`); f++) {
      if (form.get(`Filter.${f}.Name`) !== 'instance-id') continue;
      for (let v = 1; form.has(`Filter.${f}.Value.${v}`); v++) ids.push(form.get(`Filter.${f}.Value.${v}`)!);
    }
    for (let n = 1; form.has(`InstanceId.${n}`); n++) ids.push(form.get(`InstanceId.${n}`)!);
    const key = digest(ids);
    const offset = readToken(form.get('NextToken'), key);
    const size = this.pages.instances;
    const fault = this.faulted('ec2:DescribeInstances', pageNumber(offset, size), 'ec2', region, `${key}/${offset}`, principal);
    if (fault) return fault;
    const matching = this.data.instances.filter((i) => i.region === region && (ids.length === 0 || ids.includes(i.instanceId)));
    const page = matching.slice(offset, offset + size);
    const items = page
      .map(
        (i) =>
          `<item><reservationId>r-${i.instanceId.slice(2)}</reservationId><ownerId>${i.ownerId}</ownerId><groupSet/><instancesSet><item>` +
          `<instanceId>${i.instanceId}</instanceId><imageId>ami-0fc5d935ebf8bc3bc</imageId><instanceState><code>16</code><name>running</name></instanceState>` +
          `<instanceType>${i.instanceType}</instanceType><placement><availabilityZone>${region}a</availabilityZone><tenancy>default</tenancy></placement>` +
          `</item></instancesSet></item>`,
      )
      .join('');
    const next = offset + size < matching.length ? `<nextToken>${pageToken(offset + size, key)}</nextToken>` : '';
    this.record({ operation: 'ec2:DescribeInstances', region, key: `${key}/${offset}`, status: 200, principal });
    return {
      status: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake-request</requestId><reservationSet>${items}</reservationSet>${next}</DescribeInstancesResponse>`,
    };
  }
}
