/**
 * GCP streams: the billing export aggregated in BigQuery, Cloud Billing anomalies, Security
 * Command Center findings, Cloud Monitoring CPU and the audit log's cost-incurring calls. Google's
 * clients decode responses into protobuf objects; they are written back as the REST JSON the API
 * sent before the `gcp.*` parsers (the same ones `/v1/ingest` uses) read them.
 */
import type { Job } from '@google-cloud/bigquery';
import { COST_INCURRING_METHODS, SCC_MINING_CATEGORIES } from '#src/connectors/gcp/gcp-taxonomy.js';
import {
  DAY_MS,
  emptyPage,
  session,
  startOfUtcDay,
  type ConnectorView,
  type Json,
  type StreamContext,
  type StreamFetcher,
} from '#src/modules/connectors-admin/fetchers/fetcher.js';
import { GcpClients, restJson } from '#src/modules/connectors-admin/fetchers/gcp/gcp-clients.js';

const MINUTE_MS = 60_000;
/** Our retries replace gax's: no retry codes, no retries. */
const NO_RETRY = {
  autoPaginate: false,
  maxRetries: 0,
  retry: {
    retryCodes: [],
    backoffSettings: {
      maxRetries: 0,
      initialRetryDelayMillis: 1,
      retryDelayMultiplier: 1,
      maxRetryDelayMillis: 1,
      initialRpcTimeoutMillis: 60_000,
      rpcTimeoutMultiplier: 1,
      maxRpcTimeoutMillis: 60_000,
      totalTimeoutMillis: 60_000,
    },
  },
};

function clients(ctx: StreamContext): GcpClients {
  return session(
    ctx.run,
    `gcp/${ctx.connector.id}`,
    () => new GcpClients(ctx.connector),
    (c) => c.close(),
  );
}

function cursorOf<T extends object>(cursor: Json): Partial<T> {
  return cursor && typeof cursor === 'object' && !Array.isArray(cursor) ? (cursor as Partial<T>) : {};
}

const projects = (c: ConnectorView) => c.scopes;
const rfc3339 = (d: Date) => d.toISOString();
const seconds = (d: Date) => ({ seconds: Math.floor(d.getTime() / 1000) });

// ---------------------------------------------------------------------------------------------
// Billing export, aggregated in BigQuery

/** `project.dataset.table` (or the legacy `project:dataset.table`) as a quoted identifier. */
function tableRef(table: string): { project: string; quoted: string; detailed: boolean } {
  const normalized = table.replace(':', '.');
  return { project: normalized.split('.')[0]!, quoted: `\`${normalized}\``, detailed: /gcp_billing_export_resource_v1_/.test(normalized) };
}

/**
 * Daily cost per project, service, SKU, region and resource, summed in BigQuery: line items never
 * leave it. Credits are netted into the cost. The columns keep the export's own names and nesting,
 * so the rows read like export rows to the `gcp.billing` parser.
 */
export function billingQuery(table: string): string {
  const t = tableRef(table);
  const resource = t.detailed
    ? 'resource.name AS resource_name, resource.global_name AS resource_global_name'
    : 'CAST(NULL AS STRING) AS resource_name, CAST(NULL AS STRING) AS resource_global_name';
  return `SELECT
  STRUCT(service_id AS id, service_description AS description) AS service,
  STRUCT(sku_id AS id, sku_description AS description) AS sku,
  TIMESTAMP(day) AS usage_start_time,
  STRUCT(project_id AS id) AS project,
  STRUCT(region AS region) AS location,
  STRUCT(resource_name AS name, resource_global_name AS global_name) AS resource,
  cost,
  currency
FROM (
  SELECT
    DATE(usage_start_time) AS day,
    service.id AS service_id, service.description AS service_description,
    sku.id AS sku_id, sku.description AS sku_description,
    project.id AS project_id, location.region AS region,
    ${resource},
    currency,
    SUM(cost) + SUM(IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) AS c), 0)) AS cost
  FROM ${t.quoted}
  WHERE usage_start_time >= @start AND usage_start_time < @end AND project.id IN UNNEST(@projects)
  GROUP BY day, service_id, service_description, sku_id, sku_description, project_id, region, resource_name, resource_global_name, currency
)
ORDER BY usage_start_time, project.id, service.description, sku.description, resource.global_name`;
}

export const gcpBilling: StreamFetcher = {
  provider: 'gcp',
  stream: 'billing',
  description: 'Daily cost per project, service, SKU, region and resource from the BigQuery billing export, aggregated in BigQuery',
  // The export fills in a day's usage over the following hours.
  lagMs: DAY_MS,
  granularity: 'day',
  scopes: (c) => (c.settings.billingTable ? ['export'] : []),
  async fetchPage(ctx, cursor) {
    const table = ctx.connector.settings.billingTable!;
    const bq = clients(ctx).bigQuery(tableRef(table).project);
    const at = cursorOf<{ jobId: string; location: string | null; pageToken: string | null }>(cursor);
    let job: Job;
    if (at.jobId) {
      job = bq.job(at.jobId, at.location ? { location: at.location } : {});
    } else {
      const [created] = await ctx.call('bigquery:jobs.insert', () =>
        bq.createQueryJob({
          query: billingQuery(table),
          params: { start: ctx.window.start, end: ctx.window.end, projects: projects(ctx.connector) },
          types: { projects: ['STRING'] },
          useLegacySql: false,
          jobTimeoutMs: 600_000,
        }),
      );
      job = created;
    }
    const [, , response] = await ctx.call('bigquery:jobs.getQueryResults', () =>
      // skipParsing keeps the response as BigQuery sent it (schema + rows of f/v cells): the parser's input.
      job.getQueryResults({
        autoPaginate: false,
        skipParsing: true,
        maxResults: 1000,
        ...(at.pageToken ? { pageToken: at.pageToken } : {}),
      }),
    );
    const raw = (response ?? {}) as { jobComplete?: boolean; pageToken?: string; rows?: unknown[] };
    const location = job.location ?? at.location ?? null;
    if (raw.jobComplete === false) return emptyPage({ jobId: job.id!, location, pageToken: at.pageToken ?? null });
    const rows = raw.rows ?? [];
    const parsed = rows.length > 0 ? ctx.parse('gcp.billing', raw) : { signals: [], costRows: [] };
    return {
      signals: parsed.signals,
      costRows: parsed.costRows ?? [],
      items: rows.length,
      next: raw.pageToken ? { jobId: job.id!, location, pageToken: raw.pageToken } : null,
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Cloud Billing anomalies (v1beta: no client library, so Google's auth library calls the REST API)

export const gcpBillingAnomalies: StreamFetcher = {
  provider: 'gcp',
  stream: 'billing-anomalies',
  description: 'Cloud Billing anomalies of the billing account (v1beta), by detection day',
  lagMs: 12 * 60 * MINUTE_MS,
  granularity: 'day',
  scopes: (c) => (c.settings.billingAccount ? [c.settings.billingAccount] : []),
  async fetchPage(ctx, cursor) {
    const gcp = clients(ctx);
    const token = typeof cursor === 'string' ? cursor : undefined;
    const response = await ctx.call('cloudbilling:anomalies.list', () =>
      gcp.auth.request<{ anomalies?: Array<{ detectionTime?: string }>; nextPageToken?: string }>({
        url: `${gcp.restBase('cloudbilling')}/v1beta/billingAccounts/${encodeURIComponent(ctx.scope)}/anomalies`,
        params: { pageSize: 100, ...(token ? { pageToken: token } : {}) },
        retry: false,
      }),
    );
    const all = response.data.anomalies ?? [];
    // The list has no time filter: keep the anomalies detected in this window, so each is read once.
    const anomalies = all.filter((a) => {
      const t = Date.parse(a.detectionTime ?? '');
      return t >= ctx.window.start.getTime() && t < ctx.window.end.getTime();
    });
    const signals = anomalies.length > 0 ? ctx.parse('gcp.billing', { anomalies }).signals : [];
    return { signals, costRows: [], items: anomalies.length, next: response.data.nextPageToken || null };
  },
};

// ---------------------------------------------------------------------------------------------
// Security Command Center

/** Mining verdicts, and the identity findings that tell how a mining campaign got in. */
export const SCC_CATEGORIES = [
  ...Object.keys(SCC_MINING_CATEGORIES),
  'Persistence: IAM Anomalous Grant',
  'Evasion: Access from Anonymizing Proxy',
  'Discovery: Service Account Self-Investigation',
  'Initial Access: Log4j Compromise Attempt',
];

export const gcpScc: StreamFetcher = {
  provider: 'gcp',
  stream: 'scc',
  description: 'Security Command Center findings of mining and context categories, by event time, per project',
  lagMs: 5 * MINUTE_MS,
  granularity: 'instant',
  scopes: projects,
  async fetchPage(ctx, cursor) {
    const client = clients(ctx).securityCenter();
    const categories = SCC_CATEGORIES.map((c) => `category="${c}"`).join(' OR ');
    const [, , raw] = await ctx.call('scc:ListFindings', () =>
      client.listFindings(
        {
          parent: `projects/${ctx.scope}/sources/-/locations/global`,
          filter: `(${categories}) AND event_time >= "${rfc3339(ctx.window.start)}" AND event_time < "${rfc3339(ctx.window.end)}"`,
          pageSize: 100,
          ...(typeof cursor === 'string' ? { pageToken: cursor } : {}),
        },
        NO_RETRY,
      ),
    );
    const body = restJson(client, 'google.cloud.securitycenter.v2.ListFindingsResponse', raw) as {
      listFindingsResults?: unknown[];
      nextPageToken?: string;
    };
    const results = body.listFindingsResults ?? [];
    const signals = results.length > 0 ? ctx.parse('gcp.scc', body).signals : [];
    return { signals, costRows: [], items: results.length, next: body.nextPageToken || null };
  },
};

// ---------------------------------------------------------------------------------------------
// Cloud Monitoring CPU

export const GCE_CPU = 'compute.googleapis.com/instance/cpu/utilization';

export const gcpMonitoring: StreamFetcher = {
  provider: 'gcp',
  stream: 'monitoring',
  description: 'Compute Engine CPU utilization (hourly means, per UTC day) of every instance, per project',
  lagMs: 10 * MINUTE_MS,
  granularity: 'hour',
  scopes: projects,
  async fetchPage(ctx, cursor) {
    const client = clients(ctx).monitoring();
    const at = cursorOf<{ day: string; token: string | null }>(cursor);
    // One day per call: a day's mean says "sustained", a month's would drown it.
    const from = at.day ? new Date(at.day) : ctx.window.start;
    const to = new Date(Math.min(startOfUtcDay(from).getTime() + DAY_MS, ctx.window.end.getTime()));
    const [, , raw] = await ctx.call('monitoring:ListTimeSeries', () =>
      client.listTimeSeries(
        {
          name: `projects/${ctx.scope}`,
          filter: `metric.type="${GCE_CPU}" AND resource.type="gce_instance"`,
          interval: { startTime: seconds(from), endTime: seconds(to) },
          aggregation: { alignmentPeriod: { seconds: 3600 }, perSeriesAligner: 'ALIGN_MEAN' },
          view: 'FULL',
          pageSize: 500,
          ...(at.token ? { pageToken: at.token } : {}),
        },
        NO_RETRY,
      ),
    );
    const body = restJson(client, 'google.monitoring.v3.ListTimeSeriesResponse', raw) as {
      timeSeries?: Array<{ points?: unknown[] }>;
      nextPageToken?: string;
    };
    const series = body.timeSeries ?? [];
    const points = series.reduce((n, s) => n + (s.points?.length ?? 0), 0);
    const signals = points > 0 ? ctx.parse('gcp.monitoring', body).signals : [];
    let next: Json = null;
    if (body.nextPageToken) next = { day: from.toISOString(), token: body.nextPageToken };
    else if (to < ctx.window.end) next = { day: to.toISOString(), token: null };
    return { signals, costRows: [], items: points, next };
  },
};

// ---------------------------------------------------------------------------------------------
// Audit log

/** Method names as the audit log spells them contain these (`v1.compute.instances.insert`, `google.container.v1.ClusterManager.CreateCluster`). */
export const AUDIT_METHODS = [...COST_INCURRING_METHODS].map((m) => m.replace(/^google\.(?:container|cloud\.run)\./, '')).sort();

export const gcpAuditLog: StreamFetcher = {
  provider: 'gcp',
  stream: 'audit-log',
  description: 'Admin Activity audit log entries of calls that start paid compute (compute.instances.insert …), per project',
  lagMs: 5 * MINUTE_MS,
  granularity: 'instant',
  scopes: projects,
  async fetchPage(ctx, cursor) {
    const client = clients(ctx).logging();
    const methods = AUDIT_METHODS.map((m) => `"${m}"`).join(' OR ');
    const [, , raw] = await ctx.call('logging:entries.list', () =>
      client.listLogEntries(
        {
          resourceNames: [`projects/${ctx.scope}`],
          filter:
            `logName="projects/${ctx.scope}/logs/cloudaudit.googleapis.com%2Factivity" AND protoPayload.methodName:(${methods}) ` +
            `AND timestamp >= "${rfc3339(ctx.window.start)}" AND timestamp < "${rfc3339(ctx.window.end)}"`,
          orderBy: 'timestamp asc',
          pageSize: 500,
          ...(typeof cursor === 'string' ? { pageToken: cursor } : {}),
        },
        NO_RETRY,
      ),
    );
    const body = restJson(client, 'google.logging.v2.ListLogEntriesResponse', raw) as { entries?: unknown[]; nextPageToken?: string };
    const entries = body.entries ?? [];
    const signals = entries.length > 0 ? ctx.parse('gcp.audit-log', body).signals : [];
    return { signals, costRows: [], items: entries.length, next: body.nextPageToken || null };
  },
};

export const gcpFetchers: StreamFetcher[] = [gcpBilling, gcpBillingAnomalies, gcpAuditLog, gcpScc, gcpMonitoring];
