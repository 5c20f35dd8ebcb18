/**
 * `azure.monitor`: CPU and GPU utilization from Azure Monitor metrics list responses
 * (`GET {resourceUri}/providers/Microsoft.Insights/metrics`, `az monitor metrics list`):
 * `{"cost", "timespan", "interval", "value": [{"id", "type": "Microsoft.Insights/metrics",
 * "name": {"value": "Percentage CPU"}, "unit", "timeseries": [{"metadatavalues", "data":
 * [{"timeStamp", "average", "maximum", …}]}], "errorCode"}], "namespace", "resourceregion"}`,
 * one response or an array of them. The metric `id` is the resource's ARM id followed by
 * `/providers/Microsoft.Insights/metrics/{name}`; subscription-scope queries (several resources
 * in one response) name each series' resource in a `microsoft.resourceid` metadata value instead.
 *
 * Tracked metrics are listed in azure-taxonomy.ts (`Percentage CPU` of VMs and scale sets …);
 * other metrics' datapoints are counted as ignored. One signal per (resource, metric, dimension
 * values) of a request summarizes its window; a scale set queried per instance (`VMName eq '*'`)
 * gives one signal per instance.
 */
import { z } from 'zod';

import {
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalNumber,
  optionalString,
  own,
  padCount,
  parseIsoDate,
  requiredString,
  type Item,
  type JsonObject,
} from '#src/connectors/common.js';
import { armResourceRefs, azureRegion, durationSeconds, parseArmId } from '#src/connectors/azure/arm.js';
import { trackedAzureMetric } from '#src/connectors/azure/azure-taxonomy.js';
import type { Parser, Signal } from '#src/connectors/signal.js';

export const MONITOR_SOURCE = 'azure.monitor';

/** Average utilization (percent) at or above which a window counts as sustained high load. */
export const SUSTAINED_HIGH_PERCENT = 90;

// Azure Monitor's finest platform grain; used when neither the response nor the datapoints say.
const DEFAULT_PERIOD_SECONDS = 60;

const RESOURCE_ID_DIMENSION = 'microsoft.resourceid';

const metricSchema = z.looseObject(
  {
    id: requiredString,
    type: optionalString,
    name: z.looseObject(
      { value: requiredString, localizedValue: optionalString.nullable() },
      {
        error: (i) => (i.input === undefined ? 'is required' : 'must be an object such as {"value": "Percentage CPU"}'),
      },
    ),
    unit: optionalString,
    errorCode: optionalString,
    timeseries: z
      .array(
        z.looseObject(
          {
            metadatavalues: z
              .array(
                z.looseObject(
                  {
                    name: z.looseObject(
                      { value: requiredString },
                      { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
                    ),
                    value: optionalString.nullable(),
                  },
                  { error: 'must be an object' },
                ),
                { error: 'must be an array' },
              )
              .optional(),
            data: z
              .array(
                z.looseObject(
                  {
                    timeStamp: isoDateString,
                    average: optionalNumber.nullable(),
                    minimum: optionalNumber.nullable(),
                    maximum: optionalNumber.nullable(),
                    total: optionalNumber.nullable(),
                    count: optionalNumber.nullable(),
                  },
                  { error: 'must be an object' },
                ),
                { error: 'must be an array' },
              )
              .optional(),
          },
          { error: 'must be an object' },
        ),
        { error: 'must be an array' },
      )
      .optional(),
  },
  { error: 'a metric must be a JSON object' },
);

type Metric = z.infer<typeof metricSchema>;

/** What a response says about all its metrics. */
interface ResponseContext {
  periodSeconds: number | null;
  namespace: string | null;
  region: string | null;
}

/** One (resource, metric, dimension values) window being summed up. */
interface Window {
  resourceId: string;
  metric: 'cpu_utilization' | 'gpu_utilization';
  metricName: string;
  namespace: string | null;
  unit: string | null;
  region: string | null;
  dimensions: Record<string, string>;
  periodSeconds: number | null;
  sum: number;
  count: number;
  maximum: number;
  minimum: number;
  timestamps: Set<number>;
  raw: unknown[];
}

const dimensionKey = (dimensions: Record<string, string>): string =>
  Object.entries(dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

class Windows {
  private readonly byKey = new Map<string, Window>();

  get(key: Omit<Window, 'sum' | 'count' | 'maximum' | 'minimum' | 'timestamps' | 'raw'>, raw: unknown): Window {
    const id = [key.resourceId.toLowerCase(), key.metric, dimensionKey(key.dimensions)].join('\u0000');
    let window = this.byKey.get(id);
    if (!window) {
      window = { ...key, sum: 0, count: 0, maximum: -Infinity, minimum: Infinity, timestamps: new Set(), raw: [] };
      this.byKey.set(id, window);
    }
    window.periodSeconds ??= key.periodSeconds;
    window.region ??= key.region;
    if (!window.raw.includes(raw)) window.raw.push(raw);
    return window;
  }

  values(): Window[] {
    return [...this.byKey.values()].filter((w) => w.count > 0);
  }
}

function smallestGapSeconds(times: readonly number[]): number | null {
  let gap: number | null = null;
  for (let i = 1; i < times.length; i += 1) {
    const d = (times[i]! - times[i - 1]!) / 1000;
    if (d > 0 && (gap === null || d < gap)) gap = d;
  }
  return gap;
}

const round = (n: number): number => Math.round(n * 100) / 100;

function toSignal(window: Window): Signal {
  const times = [...window.timestamps].sort((a, b) => a - b);
  const periodSeconds = window.periodSeconds ?? smallestGapSeconds(times) ?? DEFAULT_PERIOD_SECONDS;
  const start = new Date(times[0]!);
  const end = new Date(times.at(-1)! + periodSeconds * 1000);
  const average = window.sum / window.count;
  const sustainedHigh = average >= SUSTAINED_HIGH_PERCENT;
  const arm = parseArmId(window.resourceId)!;
  const dims = dimensionKey(window.dimensions);
  const label = window.metric === 'gpu_utilization' ? 'GPU' : 'CPU';
  const minutes = Math.round((end.getTime() - start.getTime()) / 60_000);
  const name = `${arm.names.at(-1)}${dims ? ` (${dims})` : ''}`;
  return {
    source: MONITOR_SOURCE,
    sourceId: [window.resourceId.toLowerCase(), window.metric, ...(dims ? [dims] : []), start.toISOString()].join('/'),
    // More datapoints for the same window start make a later end, hence a greater version.
    sourceVersion: `${end.toISOString()}#${padCount(window.count)}`,
    kind: 'utilization',
    provider: 'azure',
    accountId: arm.subscriptionId,
    region: window.region,
    observedAt: start.toISOString(),
    observedUntil: end.toISOString(),
    severity: sustainedHigh ? 'MEDIUM' : 'INFO',
    title: `${label} utilization of ${name} averaged ${round(average)}% (max ${round(window.maximum)}%) over ${minutes} min`,
    mining: false,
    resources: armResourceRefs(window.resourceId, window.region),
    principal: null,
    cost: null,
    attributes: {
      metric: window.metric,
      metricName: window.metricName,
      namespace: window.namespace,
      unit: window.unit,
      average: round(average),
      maximum: round(window.maximum),
      minimum: round(window.minimum),
      sampleCount: window.count,
      periodSeconds,
      windowSeconds: (end.getTime() - start.getTime()) / 1000,
      sustainedHigh,
      dimensions: window.dimensions,
    },
    raw: window.raw.length === 1 ? window.raw[0] : window.raw,
  };
}

/** The resource a metric id names: its ARM id before `/providers/Microsoft.Insights/metrics/…`. */
function resourceOfMetricId(id: string): string | null {
  const arm = parseArmId(id.replace(/\/providers\/microsoft\.insights\/metrics(?:\/.*)?$/i, ''));
  return arm && arm.namespace !== null ? arm.id : null;
}

/** Returns how many datapoints were ignored. */
function addMetric(item: Item, response: ResponseContext, windows: Windows, issues: IssueList): number {
  const result = metricSchema.safeParse(item.value);
  if (!result.success) {
    issues.addZod(result.error, item);
    return 0;
  }
  const metric: Metric = result.data;
  const series = metric.timeseries ?? [];
  const points = series.reduce((n, s) => n + (s.data?.length ?? 0), 0);
  const tracked = trackedAzureMetric(metric.name.value);
  if (!tracked) return Math.max(points, 1);

  const metricResource = resourceOfMetricId(metric.id);
  let ignored = 0;
  series.forEach((ts, t) => {
    const dimensions: Record<string, string> = {};
    let resourceId = metricResource;
    for (const meta of ts.metadatavalues ?? []) {
      const name = meta.name.value.toLowerCase();
      if (name === RESOURCE_ID_DIMENSION) {
        const arm = meta.value ? parseArmId(meta.value) : null;
        resourceId = arm && arm.namespace !== null ? arm.id : null;
      } else dimensions[name] = meta.value ?? '';
    }
    if (resourceId === null) {
      issues.add(
        item.index,
        joinPointer(item.pointer, ['timeseries', t, 'metadatavalues']),
        'names no resource: the metric id has no resource before /providers/Microsoft.Insights/metrics and no microsoft.resourceid value names one',
      );
      return;
    }
    const sorted = Object.fromEntries(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    const window = windows.get(
      {
        resourceId,
        metric: tracked,
        metricName: metric.name.value,
        namespace: response.namespace,
        unit: metric.unit ?? null,
        region: response.region,
        dimensions: sorted,
        periodSeconds: response.periodSeconds,
      },
      item.value,
    );
    for (const point of ts.data ?? []) {
      // Azure Monitor lists grains without data as points that carry only a timeStamp.
      if (typeof point.average !== 'number') {
        ignored += 1;
        continue;
      }
      window.sum += point.average;
      window.count += 1;
      window.maximum = Math.max(window.maximum, point.maximum ?? point.average);
      window.minimum = Math.min(window.minimum, point.minimum ?? point.average);
      window.timestamps.add(parseIsoDate(point.timeStamp)!.getTime());
    }
  });
  return ignored;
}

const describe = (input: unknown): string => (input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input);

/** Returns how many datapoints were ignored. */
function addResponse(response: unknown, pointer: string, index: number | null, windows: Windows, issues: IssueList): number {
  if (!isObject(response)) {
    issues.add(index, pointer, `a metrics response must be a JSON object, got ${describe(response)}`);
    return 0;
  }
  const list = own(response, 'value');
  if (!Array.isArray(list)) {
    issues.add(
      index,
      joinPointer(pointer, ['value']),
      list === undefined ? 'is required: the list of metrics' : `must be an array, got ${describe(list)}`,
    );
    return 0;
  }
  const text = (key: string): string | null => {
    const v = own(response, key);
    return typeof v === 'string' && v.length > 0 ? v : null;
  };
  const context: ResponseContext = {
    periodSeconds: durationSeconds(own(response, 'interval')),
    namespace: text('namespace'),
    region: azureRegion(text('resourceregion')),
  };
  let ignored = 0;
  list.forEach((metric, j) => {
    const item: Item = { value: metric, index: index ?? j, pointer: joinPointer(pointer, ['value', j]) };
    ignored += addMetric(item, context, windows, issues);
  });
  return ignored;
}

export const parseMonitor: Parser = (body) => {
  const issues = new IssueList();
  const windows = new Windows();
  let ignored = 0;
  if (Array.isArray(body)) {
    body.forEach((response, i) => {
      ignored += addResponse(response, `/${i}`, i, windows, issues);
    });
  } else if (isObject(body)) {
    ignored += addResponse(body as JsonObject, '', null, windows, issues);
  } else {
    issues.add(null, '', `expected a metrics list response (a JSON object or an array of them), got ${describe(body)}`);
  }
  issues.throwIfAny();
  return { signals: windows.values().map(toSignal), ignored };
};
