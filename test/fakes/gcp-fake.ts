import { FakeServer, pageNumber, pageToken, readToken, type FakeReply, type FakeRequest } from './fake-server.js';

/**
 * Google Cloud on loopback, speaking the REST (JSON over HTTP/1.1) surface that Google's Node
 * clients use with `fallback: 'rest'` and that BigQuery always uses:
 * - BigQuery v2 `jobs.insert` + `jobs.getQueryResults`: the fake plays BigQuery running the
 *   connector's aggregation over the billing export it holds, and answers with the aggregate only;
 * - Cloud Billing v1beta `billingAccounts.anomalies.list`;
 * - Security Command Center v2 `findings.list`, Cloud Monitoring v3 `timeSeries.list`,
 *   Cloud Logging v2 `entries:list`.
 * Every list pages, and a test can throttle (429 RESOURCE_EXHAUSTED) or fail any operation.
 */

/** One billing export line item (the detailed export's columns the aggregation reads). */
export interface BillingLineItem {
  service: { id: string; description: string };
  sku: { id: string; description: string };
  usage_start_time: string;
  project: { id: string };
  location: { region: string | null };
  resource: { name: string | null; global_name: string | null };
  cost: number;
  currency: string;
  credits: Array<{ amount: number }>;
}

export interface GcpFakeData {
  billingTable: string;
  lineItems: BillingLineItem[];
  anomalies: Array<{ billingAccount: string; anomaly: Record<string, unknown> }>;
  /** SCC v2 ListFindingsResult entries (`{finding, resource}`), by project. */
  findings: Array<{ project: string; result: Record<string, unknown> }>;
  /** Hourly CPU series: the TimeSeries without points, and its points (start of hour, mean). */
  cpu: Array<{ project: string; series: Record<string, unknown>; points: Array<{ at: number; value: number }> }>;
  auditEntries: Array<{ project: string; entry: Record<string, unknown> }>;
}

export interface GcpFakeOptions {
  /** The bearer token every call must carry. */
  token: string;
  pageSizes?: Partial<Record<'rows' | 'anomalies' | 'findings' | 'series' | 'entries', number>>;
}

const DEFAULT_PAGES = { rows: 25, anomalies: 1, findings: 1, series: 1, entries: 2 };

interface QueryJob {
  id: string;
  rows: Array<Record<string, unknown>>;
  useInt64: boolean;
}

function googleError(status: number, reason: string, message: string): FakeReply {
  const grpc =
    status === 429
      ? 'RESOURCE_EXHAUSTED'
      : status === 404
        ? 'NOT_FOUND'
        : status === 401
          ? 'UNAUTHENTICATED'
          : status >= 500
            ? 'INTERNAL'
            : 'INVALID_ARGUMENT';
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: JSON.stringify({ error: { code: status, message, status: grpc, errors: [{ message, domain: 'global', reason }] } }),
  };
}

function ok(body: unknown): FakeReply {
  return { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: JSON.stringify(body) };
}

/** `event_time >= "…" AND event_time < "…"` (and `timestamp` alike) out of a Google filter. */
function timeRange(filter: string, field: string): { from: number; to: number } {
  const from = new RegExp(`${field}\\s*>=\\s*"([^"]+)"`).exec(filter)?.[1];
  const to = new RegExp(`${field}\\s*<\\s*"([^"]+)"`).exec(filter)?.[1];
  return { from: from ? Date.parse(from) : -Infinity, to: to ? Date.parse(to) : Infinity };
}

export class GcpFake extends FakeServer {
  private readonly pages: typeof DEFAULT_PAGES;
  private readonly jobs = new Map<string, QueryJob>();
  /** The SQL the connector sent, for the test to read. */
  readonly queries: string[] = [];

  constructor(
    readonly data: GcpFakeData,
    private readonly options: GcpFakeOptions,
  ) {
    super();
    this.pages = { ...DEFAULT_PAGES, ...options.pageSizes };
  }

  protected handle(req: FakeRequest): FakeReply {
    const principal = String(req.headers['authorization'] ?? '');
    const path = req.url.pathname;
    const route = this.route(req.method, path);
    if (!route) return googleError(404, 'notFound', `no route ${req.method} ${path}`);
    if (principal !== `Bearer ${this.options.token}`) {
      this.record({
        operation: route.operation,
        region: null,
        key: 'unauthenticated',
        status: 401,
        principal: principal ? 'Bearer (other)' : null,
      });
      return googleError(401, 'authError', 'Request had invalid authentication credentials.');
    }
    return route.answer(req);
  }

  private route(method: string, path: string): { operation: string; answer: (req: FakeRequest) => FakeReply } | null {
    let m: RegExpExecArray | null;
    if (method === 'POST' && (m = /^\/bigquery\/v2\/projects\/([^/]+)\/jobs$/.exec(path)))
      return { operation: 'bigquery:jobs.insert', answer: (r) => this.insertJob(m![1]!, r) };
    if (method === 'GET' && (m = /^\/bigquery\/v2\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(path)))
      return { operation: 'bigquery:jobs.getQueryResults', answer: (r) => this.queryResults(m![2]!, r) };
    if (method === 'GET' && (m = /^\/v1beta\/billingAccounts\/([^/]+)\/anomalies$/.exec(path)))
      return { operation: 'cloudbilling:anomalies.list', answer: (r) => this.anomalies(m![1]!, r) };
    if (method === 'GET' && (m = /^\/v2\/projects\/([^/]+)\/sources\/-\/locations\/global\/findings$/.exec(path)))
      return { operation: 'scc:ListFindings', answer: (r) => this.findings(m![1]!, r) };
    if (method === 'GET' && (m = /^\/v3\/projects\/([^/]+)\/timeSeries$/.exec(path)))
      return { operation: 'monitoring:ListTimeSeries', answer: (r) => this.timeSeries(m![1]!, r) };
    if (method === 'POST' && path === '/v2/entries:list') return { operation: 'logging:entries.list', answer: (r) => this.entries(r) };
    return null;
  }

  private faulted(operation: string, page: number, key: string): FakeReply | null {
    const kind = this.fault(operation, page);
    if (!kind) return null;
    const status = kind === 'throttle' ? 429 : 500;
    this.record({ operation, region: null, key, status, principal: 'Bearer' });
    return kind === 'throttle'
      ? googleError(429, 'rateLimitExceeded', 'Quota exceeded for quota metric.')
      : googleError(500, 'backendError', 'Internal error encountered.');
  }

  // -------------------------------------------------------------------------------------------
  // BigQuery

  private insertJob(project: string, req: FakeRequest): FakeReply {
    const body = JSON.parse(req.body) as {
      jobReference?: { jobId?: string; location?: string };
      configuration: {
        query: {
          query: string;
          queryParameters?: Array<{ name: string; parameterValue: { value?: string; arrayValues?: Array<{ value: string }> } }>;
        };
      };
    };
    const sql = body.configuration.query.query;
    const params = Object.fromEntries((body.configuration.query.queryParameters ?? []).map((p) => [p.name, p.parameterValue]));
    const key = `${params['start']?.value}..${params['end']?.value}`;
    const fault = this.faulted('bigquery:jobs.insert', 1, key);
    if (fault) return fault;
    this.queries.push(sql);
    if (!sql.includes(`\`${this.data.billingTable}\``) || !/GROUP BY/i.test(sql) || !/SUM\(cost\)/i.test(sql)) {
      this.record({ operation: 'bigquery:jobs.insert', region: null, key, status: 400, principal: 'Bearer' });
      return googleError(400, 'invalidQuery', 'the fake runs only an aggregation of its billing export table');
    }
    // BigQuery takes TIMESTAMP parameters as "YYYY-MM-DD HH:MM:SS[.ffffff][+zone]".
    const timestamp = (v: unknown) => {
      const text = String(v).replace(' ', 'T');
      return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`);
    };
    const start = timestamp(params['start']?.value);
    const end = timestamp(params['end']?.value);
    const projects = (params['projects']?.arrayValues ?? []).map((v) => v.value);
    const groups = new Map<string, Record<string, unknown> & { cost: number }>();
    for (const item of this.data.lineItems) {
      const at = Date.parse(item.usage_start_time);
      if (at < start || at >= end || !projects.includes(item.project.id)) continue;
      const day = new Date(at).toISOString().slice(0, 10);
      const id = JSON.stringify([day, item.service, item.sku, item.project.id, item.location.region, item.resource, item.currency]);
      const group = groups.get(id) ?? {
        service: item.service,
        sku: item.sku,
        usage_start_time: Date.parse(`${day}T00:00:00Z`),
        project: { id: item.project.id },
        location: { region: item.location.region },
        resource: item.resource,
        cost: 0,
        currency: item.currency,
      };
      group.cost += item.cost + item.credits.reduce((s, c) => s + c.amount, 0);
      groups.set(id, group);
    }
    const jobId = body.jobReference?.jobId ?? `job_${this.jobs.size}`;
    const rows = [...groups.values()].sort(
      (a, b) => Number(a['usage_start_time']) - Number(b['usage_start_time']) || JSON.stringify(a).localeCompare(JSON.stringify(b)),
    );
    this.jobs.set(jobId, { id: jobId, rows, useInt64: true });
    this.record({ operation: 'bigquery:jobs.insert', region: null, key, status: 200, principal: 'Bearer' });
    return ok({
      kind: 'bigquery#job',
      id: `${project}:US.${jobId}`,
      jobReference: { projectId: project, jobId, location: 'US' },
      configuration: body.configuration,
      status: { state: 'DONE' },
      statistics: { creationTime: String(Date.now()), query: { totalBytesProcessed: String(this.data.lineItems.length * 512) } },
    });
  }

  private queryResults(jobId: string, req: FakeRequest): FakeReply {
    const job = this.jobs.get(jobId);
    if (!job) return googleError(404, 'notFound', `Not found: Job ${jobId}`);
    const size = Math.min(this.pages.rows, Number(req.url.searchParams.get('maxResults') ?? 1000));
    const offset = readToken(req.url.searchParams.get('pageToken'), jobId);
    const key = `${jobId}/${offset}`;
    const fault = this.faulted('bigquery:jobs.getQueryResults', pageNumber(offset, size), key);
    if (fault) return fault;
    const int64 = req.url.searchParams.get('formatOptions.useInt64Timestamp') === 'true';
    const cell = (v: unknown) => ({ v });
    const record = (fields: unknown[]) => ({ f: fields.map(cell) });
    const rows = job.rows.slice(offset, offset + size).map((r) => {
      const service = r['service'] as { id: string; description: string };
      const sku = r['sku'] as { id: string; description: string };
      const resource = r['resource'] as { name: string | null; global_name: string | null };
      const at = Number(r['usage_start_time']);
      return {
        f: [
          cell(record([service.id, service.description])),
          cell(record([sku.id, sku.description])),
          cell(int64 ? String(at * 1000) : (at / 1000).toExponential()),
          cell(record([(r['project'] as { id: string }).id])),
          cell(record([(r['location'] as { region: string | null }).region])),
          cell(record([resource.name, resource.global_name])),
          cell(String(r['cost'])),
          cell(r['currency']),
        ],
      };
    });
    const string = (name: string) => ({ name, type: 'STRING', mode: 'NULLABLE' });
    const struct = (name: string, fields: unknown[]) => ({ name, type: 'RECORD', mode: 'NULLABLE', fields });
    this.record({ operation: 'bigquery:jobs.getQueryResults', region: null, key, status: 200, principal: 'Bearer' });
    return ok({
      kind: 'bigquery#getQueryResultsResponse',
      schema: {
        fields: [
          struct('service', [string('id'), string('description')]),
          struct('sku', [string('id'), string('description')]),
          { name: 'usage_start_time', type: 'TIMESTAMP', mode: 'NULLABLE' },
          struct('project', [string('id')]),
          struct('location', [string('region')]),
          struct('resource', [string('name'), string('global_name')]),
          { name: 'cost', type: 'FLOAT', mode: 'NULLABLE' },
          string('currency'),
        ],
      },
      jobReference: { projectId: 'fake', jobId, location: 'US' },
      totalRows: String(job.rows.length),
      rows,
      ...(offset + size < job.rows.length ? { pageToken: pageToken(offset + size, jobId) } : {}),
      jobComplete: true,
      cacheHit: false,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Cloud Billing anomalies

  private anomalies(account: string, req: FakeRequest): FakeReply {
    const size = this.pages.anomalies;
    const offset = readToken(req.url.searchParams.get('pageToken'), account);
    const key = `${account}/${offset}`;
    const fault = this.faulted('cloudbilling:anomalies.list', pageNumber(offset, size), key);
    if (fault) return fault;
    const all = this.data.anomalies.filter((a) => a.billingAccount === account).map((a) => a.anomaly);
    // A listing, not a time window: the API has no time filter, so listing again is no refetch.
    this.record({ operation: 'cloudbilling:anomalies.list', region: null, key, status: 200, principal: 'Bearer', windowed: false });
    return ok({
      anomalies: all.slice(offset, offset + size),
      ...(offset + size < all.length ? { nextPageToken: pageToken(offset + size, account) } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Security Command Center v2

  private findings(project: string, req: FakeRequest): FakeReply {
    const filter = req.url.searchParams.get('filter') ?? '';
    const { from, to } = timeRange(filter, 'event_time');
    const categories = [...filter.matchAll(/category="([^"]+)"/g)].map((m) => m[1]!);
    const size = Math.min(this.pages.findings, Number(req.url.searchParams.get('pageSize') ?? 100));
    const token = `${project}/${new Date(from).toISOString()}..${new Date(to).toISOString()}`;
    const offset = readToken(req.url.searchParams.get('pageToken'), token);
    const key = `${token}/${offset}`;
    const fault = this.faulted('scc:ListFindings', pageNumber(offset, size), key);
    if (fault) return fault;
    const matching = this.data.findings
      .filter((f) => f.project === project)
      .map((f) => f.result)
      .filter((r) => {
        const finding = r['finding'] as { category: string; eventTime: string };
        const at = Date.parse(finding.eventTime);
        return at >= from && at < to && (categories.length === 0 || categories.includes(finding.category));
      });
    this.record({ operation: 'scc:ListFindings', region: null, key, status: 200, principal: 'Bearer' });
    return ok({
      listFindingsResults: matching.slice(offset, offset + size),
      readTime: new Date().toISOString(),
      totalSize: matching.length,
      ...(offset + size < matching.length ? { nextPageToken: pageToken(offset + size, token) } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Cloud Monitoring v3

  private timeSeries(project: string, req: FakeRequest): FakeReply {
    const q = req.url.searchParams;
    const from = Date.parse(q.get('interval.startTime') ?? '');
    const to = Date.parse(q.get('interval.endTime') ?? '');
    const metricType = /metric\.type="([^"]+)"/.exec(q.get('filter') ?? '')?.[1];
    const size = Math.min(this.pages.series, Number(q.get('pageSize') ?? 100));
    const token = `${project}/${new Date(from).toISOString()}..${new Date(to).toISOString()}`;
    const offset = readToken(q.get('pageToken'), token);
    const key = `${token}/${offset}`;
    const fault = this.faulted('monitoring:ListTimeSeries', pageNumber(offset, size), key);
    if (fault) return fault;
    const series = this.data.cpu
      .filter((s) => s.project === project && (!metricType || (s.series['metric'] as { type: string }).type === metricType))
      .map((s) => ({
        ...s.series,
        // Aligned to the hour (ALIGN_MEAN over 3600 s), newest first, as the API returns them.
        points: s.points
          .filter((p) => p.at >= from && p.at < to)
          .sort((a, b) => b.at - a.at)
          .map((p) => ({
            interval: { startTime: new Date(p.at).toISOString(), endTime: new Date(p.at + 3_600_000).toISOString() },
            value: { doubleValue: p.value },
          })),
      }))
      .filter((s) => s.points.length > 0);
    this.record({ operation: 'monitoring:ListTimeSeries', region: null, key, status: 200, principal: 'Bearer' });
    return ok({
      timeSeries: series.slice(offset, offset + size),
      unit: '10^2.%',
      ...(offset + size < series.length ? { nextPageToken: pageToken(offset + size, token) } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Cloud Logging v2

  private entries(req: FakeRequest): FakeReply {
    const body = JSON.parse(req.body) as { resourceNames: string[]; filter?: string; pageSize?: number; pageToken?: string };
    const project = body.resourceNames[0]!.replace(/^projects\//, '');
    const filter = body.filter ?? '';
    const { from, to } = timeRange(filter, 'timestamp');
    const methods = [...(/methodName:\(([^)]*)\)/.exec(filter)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    const size = Math.min(this.pages.entries, body.pageSize ?? 100);
    const token = `${project}/${new Date(from).toISOString()}..${new Date(to).toISOString()}`;
    const offset = readToken(body.pageToken, token);
    const key = `${token}/${offset}`;
    const fault = this.faulted('logging:entries.list', pageNumber(offset, size), key);
    if (fault) return fault;
    const matching = this.data.auditEntries
      .filter((e) => e.project === project)
      .map((e) => e.entry)
      .filter((e) => {
        const at = Date.parse(String(e['timestamp']));
        const method = String((e['protoPayload'] as { methodName?: string }).methodName ?? '');
        return at >= from && at < to && (methods.length === 0 || methods.some((m) => method.includes(m)));
      })
      .sort((a, b) => Date.parse(String(a['timestamp'])) - Date.parse(String(b['timestamp'])));
    this.record({ operation: 'logging:entries.list', region: null, key, status: 200, principal: 'Bearer' });
    return ok({
      entries: matching.slice(offset, offset + size),
      ...(offset + size < matching.length ? { nextPageToken: pageToken(offset + size, token) } : {}),
    });
  }
}
