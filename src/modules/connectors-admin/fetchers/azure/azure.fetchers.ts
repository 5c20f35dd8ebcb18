/**
 * Azure streams: Cost Management daily cost per resource, Defender for Cloud alerts, Azure Monitor
 * `Percentage CPU` of the VMs and scale sets other signals name, and Activity Log writes of compute
 * resources. Every response is handed, as the raw ARM JSON the wire carried, to the `azure.*`
 * parser that `/v1/ingest` uses for it.
 */
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { QueryDefinition } from '@azure/arm-costmanagement';
import {
  DAY_MS,
  emptyPage,
  session,
  startOfUtcDay,
  type Json,
  type StreamContext,
  type StreamFetcher,
} from '#src/modules/connectors-admin/fetchers/fetcher.js';
import { AzureClients, capture, type RawCapture } from '#src/modules/connectors-admin/fetchers/azure/azure-clients.js';

const MINUTE_MS = 60_000;

function clients(ctx: StreamContext): AzureClients {
  return session(ctx.run, `azure/${ctx.connector.id}`, () => new AzureClients(ctx.connector));
}

function cursorOf<T extends object>(cursor: Json): Partial<T> {
  return cursor && typeof cursor === 'object' && !Array.isArray(cursor) ? (cursor as Partial<T>) : {};
}

const subscriptions = (c: StreamContext['connector']) => c.scopes;
const iso = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');

/** The first page of a paged ARM list, with its raw body. */
async function firstPage(
  list: (options: object) => { byPage(settings?: { continuationToken?: string }): AsyncIterator<unknown> },
): Promise<Record<string, unknown>> {
  const raw: RawCapture = { body: null };
  await list(capture(raw)).byPage().next();
  return (raw.body ?? {}) as Record<string, unknown>;
}

/**
 * The page a `nextLink` names, through the client's own pipeline (its credential, TLS settings
 * and no retries). Older ARM SDKs (arm-security 5) cannot start a listing from a continuation
 * token, and a page that failed must be fetchable again on its own.
 */
async function linkedPage(
  client: { sendRequest(request: PipelineRequest): Promise<PipelineResponse> },
  nextLink: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await client.sendRequest(
    createPipelineRequest({
      url: nextLink,
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: createHttpHeaders({ accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
    }),
  );
  if (response.status >= 400) {
    const error = new Error(`ARM answered ${response.status}: ${(response.bodyAsText ?? '').slice(0, 300)}`);
    throw Object.assign(error, { name: 'RestError', statusCode: response.status, response: { headers: response.headers } });
  }
  return JSON.parse(response.bodyAsText ?? '{}') as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Cost Management

/** Daily actual cost per resource, with what it is (service, meter) and where. */
export function costQuery(window: { start: Date; end: Date }): QueryDefinition {
  return {
    type: 'ActualCost',
    timeframe: 'Custom',
    timePeriod: { from: window.start, to: new Date(window.end.getTime() - 1000) },
    dataset: {
      granularity: 'Daily',
      aggregation: { totalCost: { name: 'PreTaxCost', function: 'Sum' } },
      grouping: [
        { type: 'Dimension', name: 'ResourceId' },
        { type: 'Dimension', name: 'ServiceName' },
        { type: 'Dimension', name: 'MeterSubCategory' },
        { type: 'Dimension', name: 'Meter' },
        { type: 'Dimension', name: 'ResourceLocation' },
      ],
    },
  };
}

export const azureCost: StreamFetcher = {
  provider: 'azure',
  stream: 'cost',
  description: 'Daily actual cost per resource (Cost Management query), following nextLink, for the own cost baseline',
  // Usage lands in Cost Management within about a day.
  lagMs: DAY_MS,
  granularity: 'day',
  scopes: subscriptions,
  async fetchPage(ctx, cursor) {
    const client = clients(ctx).costManagement();
    const definition = costQuery(ctx.window);
    let body: Record<string, unknown>;
    if (typeof cursor === 'string') {
      // query.usage returns nextLink but does not follow it: the next page is the same POST to it.
      body = await ctx.call('costmanagement:query.next', () =>
        linkedPage(client, cursor, {
          ...definition,
          timePeriod: { from: iso(ctx.window.start), to: iso(new Date(ctx.window.end.getTime() - 1000)) },
        }),
      );
    } else {
      const raw: RawCapture = { body: null };
      await ctx.call('costmanagement:query.usage', () => client.query.usage(`subscriptions/${ctx.scope}`, definition, capture(raw)));
      body = (raw.body ?? {}) as Record<string, unknown>;
    }
    const properties = (body['properties'] ?? {}) as { rows?: unknown[]; nextLink?: string | null };
    const rows = properties.rows ?? [];
    const parsed = rows.length > 0 ? ctx.parse('azure.cost', body) : { signals: [], costRows: [] };
    return { signals: parsed.signals, costRows: parsed.costRows ?? [], items: rows.length, next: properties.nextLink || null };
  },
};

// ---------------------------------------------------------------------------------------------
// Defender for Cloud

export const azureDefender: StreamFetcher = {
  provider: 'azure',
  stream: 'defender',
  description: 'Defender for Cloud security alerts of the subscription, by generation time',
  lagMs: 5 * MINUTE_MS,
  granularity: 'instant',
  scopes: subscriptions,
  async fetchPage(ctx, cursor) {
    const security = clients(ctx).security(ctx.scope);
    const body = await ctx.call('security:alerts.list', () =>
      typeof cursor === 'string' ? linkedPage(security, cursor) : firstPage((o) => security.alerts.list(o)),
    );
    const all = (body['value'] as Array<{ properties?: { timeGeneratedUtc?: string; startTimeUtc?: string } }> | undefined) ?? [];
    // The alerts list has no time filter: keep the alerts generated in this window, so each is read once.
    const value = all.filter((a) => {
      const t = Date.parse(a.properties?.timeGeneratedUtc ?? a.properties?.startTimeUtc ?? '');
      return t >= ctx.window.start.getTime() && t < ctx.window.end.getTime();
    });
    const signals = value.length > 0 ? ctx.parse('azure.defender', { value }).signals : [];
    return { signals, costRows: [], items: value.length, next: (body['nextLink'] as string | undefined) || null };
  },
};

// ---------------------------------------------------------------------------------------------
// Azure Monitor Percentage CPU

interface Followed {
  firstSeen: string;
  lastNamed: string;
  /** A scale set is queried per instance (VMName eq '*'). */
  scaleSet: boolean;
  until: string | null;
}

interface MetricCall {
  uri: string;
  scaleSet: boolean;
  start: string;
  end: string;
}

const FOLLOW_MS = 7 * DAY_MS;
const LOOKBACK_MS = DAY_MS;

/** The VM or scale set whose CPU a resource id stands for (a scale set instance → its scale set). */
function metricTarget(type: string, id: string): { uri: string; scaleSet: boolean } | null {
  if (type === 'azure.compute.vm') return { uri: id, scaleSet: false };
  if (type === 'azure.compute.vmss') return { uri: id, scaleSet: true };
  if (type === 'azure.compute.vmss-instance') return { uri: id.replace(/\/virtualMachines\/[^/]+$/i, ''), scaleSet: true };
  return null;
}

function named(ctx: { run: StreamContext['run'] }, subscription: string): Array<{ uri: string; scaleSet: boolean; seenAt: string }> {
  return ctx.run.named.flatMap((n) => {
    const target = n.provider === 'azure' && n.accountId.toLowerCase() === subscription.toLowerCase() ? metricTarget(n.type, n.id) : null;
    return target ? [{ ...target, seenAt: n.seenAt }] : [];
  });
}

export const azureMonitor: StreamFetcher = {
  provider: 'azure',
  stream: 'monitor',
  description: 'Azure Monitor Percentage CPU (hourly, per UTC day) of the VMs and scale sets other signals name',
  lagMs: 10 * MINUTE_MS,
  granularity: 'hour',
  scopes: subscriptions,
  hasPendingWork(scope, state, run) {
    const followed = (state['resources'] as Record<string, Followed> | undefined) ?? {};
    return named({ run }, scope).some((n) => !followed[n.uri.toLowerCase()]);
  },
  async fetchPage(ctx, cursor) {
    const resources = { ...((ctx.state['resources'] as Record<string, Followed> | undefined) ?? {}) };
    let at = cursorOf<{ calls: MetricCall[]; i: number }>(cursor);
    if (!at.calls) {
      for (const n of named(ctx, ctx.scope)) {
        const key = n.uri.toLowerCase();
        const known = resources[key];
        resources[key] = {
          firstSeen: known && known.firstSeen < n.seenAt ? known.firstSeen : n.seenAt,
          lastNamed: known && known.lastNamed > n.seenAt ? known.lastNamed : n.seenAt,
          scaleSet: n.scaleSet,
          until: known?.until ?? null,
        };
      }
      for (const [key, f] of Object.entries(resources)) {
        if (Date.parse(f.lastNamed) < ctx.now.getTime() - FOLLOW_MS && f.until && Date.parse(f.until) > Date.parse(f.lastNamed) + FOLLOW_MS)
          delete resources[key];
      }
      ctx.state['resources'] = resources;
      const backfillStart = ctx.now.getTime() - ctx.connector.backfillDays * DAY_MS;
      const calls: MetricCall[] = [];
      for (const [uri, f] of Object.entries(resources)) {
        const start = f.until
          ? new Date(f.until)
          : new Date(Math.max(backfillStart, startOfUtcDay(new Date(Date.parse(f.firstSeen) - LOOKBACK_MS)).getTime()));
        // One call per UTC day: a day's average says "sustained", a month's would drown it.
        for (let day = startOfUtcDay(start); day < ctx.window.end; day = new Date(day.getTime() + DAY_MS)) {
          const from = new Date(Math.max(day.getTime(), start.getTime()));
          const to = new Date(Math.min(day.getTime() + DAY_MS, ctx.window.end.getTime()));
          if (from < to) calls.push({ uri, scaleSet: f.scaleSet, start: from.toISOString(), end: to.toISOString() });
        }
      }
      calls.sort((a, b) => a.start.localeCompare(b.start) || a.uri.localeCompare(b.uri));
      if (calls.length === 0) return emptyPage();
      at = { calls, i: 0 };
    }
    const calls = at.calls!;
    const i = at.i ?? 0;
    const call = calls[i]!;
    const monitor = clients(ctx).monitor(ctx.scope);
    const raw: RawCapture = { body: null };
    await ctx.call('monitor:metrics.list', () =>
      // The SDK's path template adds the leading slash itself.
      monitor.metrics.list(call.uri.replace(/^\//, ''), {
        timespan: `${iso(new Date(call.start))}/${iso(new Date(call.end))}`,
        interval: 'PT1H',
        metricnames: 'Percentage CPU',
        aggregation: 'Average,Maximum',
        ...(call.scaleSet ? { filter: "VMName eq '*'" } : {}),
        ...capture(raw),
      }),
    );
    const body = (raw.body ?? {}) as { value?: Array<{ timeseries?: Array<{ data?: unknown[] }> }> };
    const points = (body.value ?? []).reduce((n, m) => n + (m.timeseries ?? []).reduce((k, s) => k + (s.data?.length ?? 0), 0), 0);
    const signals = points > 0 ? ctx.parse('azure.monitor', body).signals : [];
    let next: Json = null;
    if (i + 1 < calls.length) next = { calls: calls as unknown as Json, i: i + 1 };
    else {
      for (const key of Object.keys(resources)) resources[key] = { ...resources[key]!, until: ctx.window.end.toISOString() };
      ctx.state['resources'] = resources;
    }
    return { signals, costRows: [], items: points, next };
  },
};

// ---------------------------------------------------------------------------------------------
// Activity Log

/** Providers whose writes start paid compute; the Activity Log filter takes one at a time. */
export const ACTIVITY_PROVIDERS = [
  'Microsoft.Compute',
  'Microsoft.ContainerService',
  'Microsoft.ContainerInstance',
  'Microsoft.Batch',
  'Microsoft.MachineLearningServices',
  'Microsoft.Web',
  'Microsoft.App',
];

export const azureActivityLog: StreamFetcher = {
  provider: 'azure',
  stream: 'activity-log',
  description: 'Activity Log administrative writes of compute resources (VMs, scale sets, AKS, container groups …), per subscription',
  // Activity Log events are queryable within about 15 minutes.
  lagMs: 15 * MINUTE_MS,
  granularity: 'instant',
  scopes: subscriptions,
  async fetchPage(ctx, cursor) {
    const monitor = clients(ctx).monitor(ctx.scope);
    const at = cursorOf<{ p: number; next: string | null }>(cursor);
    const p = at.p ?? 0;
    // `le` is inclusive: the last second of the window is left to the next one.
    const filter =
      `eventTimestamp ge '${iso(ctx.window.start)}' and eventTimestamp le '${iso(new Date(ctx.window.end.getTime() - 1000))}' ` +
      `and resourceProvider eq '${ACTIVITY_PROVIDERS[p]}'`;
    const body = await ctx.call('monitor:activityLogs.list', () => {
      if (!at.next) return firstPage((o) => monitor.activityLogs.list(filter, o));
      // The modular client reports only its first page to onResponse: later pages go through its pipeline.
      const http = createDefaultHttpClient();
      return linkedPage({ sendRequest: (request) => monitor.pipeline.sendRequest(http, request) }, at.next);
    });
    const value = (body['value'] as unknown[] | undefined) ?? [];
    const signals = value.length > 0 ? ctx.parse('azure.activity-log', { value }).signals : [];
    const nextLink = (body['nextLink'] as string | undefined) || null;
    const next: Json = nextLink ? { p, next: nextLink } : p + 1 < ACTIVITY_PROVIDERS.length ? { p: p + 1, next: null } : null;
    return { signals, costRows: [], items: value.length, next };
  },
};

export const azureFetchers: StreamFetcher[] = [azureCost, azureActivityLog, azureDefender, azureMonitor];
