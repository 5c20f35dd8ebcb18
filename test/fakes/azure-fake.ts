import { FakeServer, pageNumber, pageToken, readToken, type FakeReply, type FakeRequest } from './fake-server.js';
import { selfSignedCertificate, type SelfSigned } from './self-signed.js';

/**
 * Azure Resource Manager on loopback over https (the Azure SDK sends bearer tokens over https
 * only), with a self-signed certificate for 127.0.0.1 that the test hands the connector as its CA:
 * - Cost Management `query` (POST, paged by `nextLink` with `$skiptoken`);
 * - Defender for Cloud `alerts` list (paged by `nextLink`);
 * - Azure Monitor `metrics` of a resource (hourly, per instance of a scale set with `VMName eq '*'`);
 * - Activity Log `eventtypes/management/values` with its `$filter` (paged by `nextLink`).
 * A test can throttle (429, ARM's `TooManyRequests`) or fail any operation and page.
 */

export interface AzureCostRow {
  day: string;
  resourceId: string;
  service: string;
  subCategory: string;
  meter: string;
  location: string;
  cost: number;
}

/** The columns of a Cost Management query grouped by resource, service, meter and location, daily. */
export const COST_QUERY_COLUMNS = [
  { name: 'PreTaxCost', type: 'Number' },
  { name: 'ResourceId', type: 'String' },
  { name: 'ServiceName', type: 'String' },
  { name: 'MeterSubCategory', type: 'String' },
  { name: 'Meter', type: 'String' },
  { name: 'ResourceLocation', type: 'String' },
  { name: 'UsageDate', type: 'Number' },
  { name: 'Currency', type: 'String' },
];

/** One cost row as a row of COST_QUERY_COLUMNS. */
export function costQueryRow(c: AzureCostRow): unknown[] {
  return [c.cost, c.resourceId, c.service, c.subCategory, c.meter, c.location, Number(c.day.replace(/-/g, '')), 'USD'];
}

export interface AzureFakeData {
  subscription: string;
  /** Defender alert resources as ARM returns them. */
  alerts: Array<Record<string, unknown>>;
  /** Percentage CPU per resource (VM or scale set), hourly, per instance for scale sets. */
  cpu: Array<{ resourceId: string; instance: string | null; points: Array<{ at: number; average: number; maximum: number }> }>;
  /** Activity Log events as the REST API lists them. */
  events: Array<Record<string, unknown>>;
  costs: AzureCostRow[];
}

export interface AzureFakeOptions {
  token: string;
  pageSizes?: Partial<Record<'alerts' | 'events' | 'costRows', number>>;
}

const DEFAULT_PAGES = { alerts: 1, events: 1, costRows: 20 };

function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-failure-cause': 'service', ...headers },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function ok(body: unknown): FakeReply {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

export class AzureFake extends FakeServer {
  readonly certificate: SelfSigned;
  private readonly pages: typeof DEFAULT_PAGES;

  constructor(
    readonly data: AzureFakeData,
    private readonly options: AzureFakeOptions,
  ) {
    const tls = selfSignedCertificate();
    super(tls);
    this.certificate = tls;
    this.pages = { ...DEFAULT_PAGES, ...options.pageSizes };
  }

  /** The PEM to trust for this fake. */
  get ca(): string {
    return this.certificate.cert;
  }

  protected handle(req: FakeRequest): FakeReply {
    const path = decodeURIComponent(req.url.pathname);
    const route = this.route(req.method, path);
    if (!route) return armError(404, 'NotFound', `no route ${req.method} ${path}`);
    if (req.headers['authorization'] !== `Bearer ${this.options.token}`) {
      this.record({ operation: route.operation, region: null, key: 'unauthenticated', status: 401, principal: null });
      return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    return route.answer(req);
  }

  private route(method: string, path: string): { operation: string; answer: (req: FakeRequest) => FakeReply } | null {
    const sub = `/subscriptions/${this.data.subscription}`;
    if (method === 'POST' && path.toLowerCase() === `${sub}/providers/microsoft.costmanagement/query`.toLowerCase())
      return { operation: 'costmanagement:query', answer: (r) => this.query(r) };
    if (method === 'GET' && path.toLowerCase() === `${sub}/providers/microsoft.security/alerts`.toLowerCase())
      return { operation: 'security:alerts.list', answer: (r) => this.alerts(r) };
    if (method === 'GET' && path.toLowerCase() === `${sub}/providers/microsoft.insights/eventtypes/management/values`.toLowerCase())
      return { operation: 'monitor:activityLogs.list', answer: (r) => this.events(r) };
    const metrics = /^(\/subscriptions\/.+)\/providers\/microsoft\.insights\/metrics$/i.exec(path);
    if (method === 'GET' && metrics) return { operation: 'monitor:metrics.list', answer: (r) => this.metrics(metrics[1]!, r) };
    return null;
  }

  private faulted(operation: string, page: number, key: string): FakeReply | null {
    const kind = this.fault(operation, page);
    if (!kind) return null;
    this.record({ operation, region: null, key, status: kind === 'throttle' ? 429 : 500, principal: 'Bearer' });
    // ARM throttling names no Retry-After here: the SDK would not retry it; MineWatch must.
    return kind === 'throttle'
      ? armError(429, 'TooManyRequests', 'The request is being throttled as the limit has been reached for operation type.')
      : armError(500, 'InternalServerError', 'Encountered internal server error.');
  }

  private next(req: FakeRequest, token: string, param = '$skipToken'): string {
    const url = new URL(req.url.pathname + req.url.search, this.url);
    url.searchParams.set(param, token);
    return url.toString();
  }

  // -------------------------------------------------------------------------------------------

  private query(req: FakeRequest): FakeReply {
    const body = JSON.parse(req.body) as {
      timePeriod: { from: string; to: string };
      dataset: { granularity: string; grouping?: Array<{ name: string }> };
    };
    const from = body.timePeriod.from.slice(0, 10);
    const to = body.timePeriod.to.slice(0, 10);
    const key = `${from}..${to}`;
    const offset = readToken(req.url.searchParams.get('$skiptoken'), key);
    const size = this.pages.costRows;
    const fault = this.faulted('costmanagement:query', pageNumber(offset, size), `${key}/${offset}`);
    if (fault) return fault;
    const rows = this.data.costs
      .filter((c) => c.day >= from && c.day <= to)
      .sort((a, b) => a.day.localeCompare(b.day) || a.resourceId.localeCompare(b.resourceId))
      .map(costQueryRow);
    this.record({ operation: 'costmanagement:query', region: null, key: `${key}/${offset}`, status: 200, principal: 'Bearer' });
    const id = `subscriptions/${this.data.subscription}/providers/Microsoft.CostManagement/query/${key}`;
    return ok({
      id,
      name: key,
      type: 'Microsoft.CostManagement/query',
      location: null,
      sku: null,
      eTag: null,
      properties: {
        nextLink: offset + size < rows.length ? this.next(req, pageToken(offset + size, key), '$skiptoken') : null,
        columns: COST_QUERY_COLUMNS,
        rows: rows.slice(offset, offset + size),
      },
    });
  }

  private alerts(req: FakeRequest): FakeReply {
    const offset = readToken(req.url.searchParams.get('$skipToken'), 'alerts');
    const size = this.pages.alerts;
    const fault = this.faulted('security:alerts.list', pageNumber(offset, size), `alerts/${offset}`);
    if (fault) return fault;
    // A listing, not a time window: the API has no time filter, so listing again is no refetch.
    this.record({
      operation: 'security:alerts.list',
      region: null,
      key: `alerts/${offset}`,
      status: 200,
      principal: 'Bearer',
      windowed: false,
    });
    const all = this.data.alerts;
    return ok({
      value: all.slice(offset, offset + size),
      ...(offset + size < all.length ? { nextLink: this.next(req, pageToken(offset + size, 'alerts')) } : {}),
    });
  }

  private events(req: FakeRequest): FakeReply {
    const filter = req.url.searchParams.get('$filter') ?? '';
    const from = Date.parse(/eventTimestamp ge '([^']+)'/.exec(filter)?.[1] ?? '');
    const to = Date.parse(/eventTimestamp le '([^']+)'/.exec(filter)?.[1] ?? '');
    const provider = /resourceProvider eq '([^']+)'/.exec(filter)?.[1];
    const key = `${provider}/${new Date(from).toISOString()}..${new Date(to).toISOString()}`;
    const offset = readToken(req.url.searchParams.get('$skipToken'), key);
    const size = this.pages.events;
    const fault = this.faulted('monitor:activityLogs.list', pageNumber(offset, size), `${key}/${offset}`);
    if (fault) return fault;
    const matching = this.data.events.filter((e) => {
      const at = Date.parse(String(e['eventTimestamp']));
      const rp = (e['resourceProviderName'] as { value?: string } | undefined)?.value;
      return at >= from && at <= to && (!provider || rp?.toLowerCase() === provider.toLowerCase());
    });
    this.record({ operation: 'monitor:activityLogs.list', region: null, key: `${key}/${offset}`, status: 200, principal: 'Bearer' });
    return ok({
      value: matching.slice(offset, offset + size),
      ...(offset + size < matching.length ? { nextLink: this.next(req, pageToken(offset + size, key)) } : {}),
    });
  }

  private metrics(resourceId: string, req: FakeRequest): FakeReply {
    const q = req.url.searchParams;
    const [from, to] = (q.get('timespan') ?? '/').split('/').map((t) => Date.parse(t));
    const key = `${resourceId.toLowerCase()}/${new Date(from!).toISOString()}..${new Date(to!).toISOString()}`;
    const fault = this.faulted('monitor:metrics.list', 1, key);
    if (fault) return fault;
    const perInstance = /VMName eq '\*'/i.test(q.get('$filter') ?? '');
    const series = this.data.cpu
      .filter((c) => c.resourceId.toLowerCase() === resourceId.toLowerCase())
      .map((c) => ({
        metadatavalues: perInstance && c.instance ? [{ name: { value: 'vmname', localizedValue: 'vmname' }, value: c.instance }] : [],
        data: c.points
          .filter((p) => p.at >= from! && p.at < to!)
          .sort((a, b) => a.at - b.at)
          .map((p) => ({ timeStamp: new Date(p.at).toISOString().replace(/\.000Z$/, 'Z'), average: p.average, maximum: p.maximum })),
      }));
    this.record({ operation: 'monitor:metrics.list', region: null, key, status: 200, principal: 'Bearer' });
    return ok({
      cost: 59,
      timespan: q.get('timespan'),
      interval: q.get('interval') ?? 'PT1H',
      value: [
        {
          id: `${resourceId}/providers/Microsoft.Insights/metrics/Percentage CPU`,
          type: 'Microsoft.Insights/metrics',
          name: { value: 'Percentage CPU', localizedValue: 'Percentage CPU' },
          displayDescription: 'The percentage of allocated compute units that are currently in use by the Virtual Machine(s)',
          unit: 'Percent',
          timeseries: series,
          errorCode: 'Success',
        },
      ],
      namespace: /virtualMachineScaleSets/i.test(resourceId)
        ? 'Microsoft.Compute/virtualMachineScaleSets'
        : 'Microsoft.Compute/virtualMachines',
      resourceregion: 'westeurope',
    });
  }
}
