/**
 * `aws.cloudwatch`: CPU and GPU utilization of EC2 instances, as
 * - CloudWatch Metric Streams records in JSON output format (one object per line; NDJSON arrives
 *   as an array of its lines): `{"metric_stream_name", "account_id", "region", "namespace",
 *   "metric_name", "dimensions": {"InstanceId": …}, "timestamp": <epoch ms>,
 *   "value": {"max", "min", "sum", "count"}, "unit"}`;
 * - a `GetMetricData` response sent together with what was queried. The response alone names
 *   neither the account nor the instance (results carry only the query `Id`), so the body is the
 *   response plus the request's `MetricDataQueries` and the account and region it ran in:
 *   `{"accountId", "region", "MetricDataQueries": [{"Id", "MetricStat": {"Metric": {"Namespace",
 *   "MetricName", "Dimensions": [{"Name": "InstanceId", "Value"}]}, "Period", "Stat"}}],
 *   "MetricDataResults": [{"Id", "Label", "Timestamps", "Values", "StatusCode"}]}`
 *   (PascalCase as the CLI/SDK print it, or camelCase). Timestamps are ISO 8601 or epoch seconds.
 *
 * Tracked metrics: `AWS/EC2` `CPUUtilization` and the CloudWatch agent's `CWAgent`
 * `nvidia_smi_utilization_gpu`. Other metrics, and datapoints without an `InstanceId` dimension,
 * are counted as ignored. One signal per (account, region, instance, metric) of a request
 * summarizes its window.
 */
import { z } from 'zod';

import {
  camelize,
  finiteNumber,
  IssueList,
  isObject,
  joinPointer,
  optionalString,
  own,
  padCount,
  parseEpoch,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Item,
} from '#src/connectors/common.js';
import type { Parser, Signal } from '#src/connectors/signal.js';
import { instanceFamilyOf, isGpuInstanceType } from '#src/connectors/taxonomy.js';

export const CLOUDWATCH_SOURCE = 'aws.cloudwatch';

/** Average utilization (percent) at or above which a window counts as sustained high load. */
export const SUSTAINED_HIGH_PERCENT = 90;

/**
 * `namespace|metric name` → the cloud-neutral metric name in `attributes.metric`, so rules read
 * CPU and GPU utilization (in percent) the same way for every cloud.
 */
export const TRACKED_METRICS: Readonly<Record<string, string>> = {
  'AWS/EC2|CPUUtilization': 'cpu_utilization',
  'CWAgent|nvidia_smi_utilization_gpu': 'gpu_utilization',
};

// Metric Streams send one datapoint a minute unless the records show a wider spacing.
const DEFAULT_PERIOD_SECONDS = 60;

const epochMs = finiteNumber.refine((n) => parseEpoch(n, 'ms') !== null, 'must be epoch milliseconds');

const streamRecordSchema = z.looseObject(
  {
    metric_stream_name: optionalString,
    account_id: requiredString,
    region: requiredString,
    namespace: requiredString,
    metric_name: requiredString,
    dimensions: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
    timestamp: epochMs,
    value: z.looseObject(
      { count: finiteNumber.min(0, 'must not be negative'), sum: finiteNumber, max: finiteNumber, min: finiteNumber },
      { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
    ),
    unit: optionalString,
  },
  { error: 'a metric stream record must be a JSON object' },
);

function parseTimestamp(value: unknown): Date | null {
  return typeof value === 'number' ? parseEpoch(value, 's') : parseIsoDate(value);
}

const timestamp = z.unknown().refine((v) => parseTimestamp(v) !== null, {
  message: 'must be an ISO 8601 date-time or epoch seconds',
});

const getMetricDataSchema = z.looseObject(
  {
    accountId: requiredString,
    region: requiredString,
    metricDataQueries: z.array(
      z.looseObject({
        id: requiredString,
        metricStat: z
          .looseObject({
            metric: z.looseObject({
              namespace: requiredString,
              metricName: requiredString,
              dimensions: z.array(z.looseObject({ name: requiredString, value: requiredString })).optional(),
            }),
            period: finiteNumber.int('must be whole seconds').positive('must be positive'),
            stat: optionalString,
          })
          .optional(),
      }),
      { error: (i) => (i.input === undefined ? 'is required: the queries that produced the results' : 'must be an array') },
    ),
    metricDataResults: z.array(
      z.looseObject({
        id: requiredString,
        label: optionalString,
        timestamps: z.array(timestamp, { error: 'must be an array' }),
        values: z.array(finiteNumber, { error: 'must be an array' }),
        statusCode: optionalString,
      }),
      { error: 'must be an array' },
    ),
  },
  { error: 'a GetMetricData result must be a JSON object' },
);

/** One (account, region, instance, metric) window being summed up. */
interface Window {
  accountId: string;
  region: string;
  instanceId: string;
  instanceType: string | null;
  metric: string;
  metricName: string;
  namespace: string;
  sum: number;
  count: number;
  maximum: number;
  minimum: number;
  timestamps: Set<number>;
  periodSeconds: number | null;
  stat: string | null;
  statusCode: string | null;
  unit: string | null;
  metricStream: string | null;
  raw: unknown[];
}

type WindowKey = Pick<
  Window,
  | 'accountId'
  | 'region'
  | 'instanceId'
  | 'instanceType'
  | 'metric'
  | 'metricName'
  | 'namespace'
  | 'periodSeconds'
  | 'stat'
  | 'statusCode'
  | 'unit'
  | 'metricStream'
>;

class Windows {
  private readonly byKey = new Map<string, Window>();

  add(key: WindowKey, at: Date, sum: number, count: number, max: number, min: number, raw: unknown): void {
    const id = [key.accountId, key.region, key.instanceId, key.metric].join('\u0000');
    let window = this.byKey.get(id);
    if (!window) {
      window = { ...key, sum: 0, count: 0, maximum: -Infinity, minimum: Infinity, timestamps: new Set(), raw: [] };
      this.byKey.set(id, window);
    }
    window.sum += sum;
    window.count += count;
    window.maximum = Math.max(window.maximum, max);
    window.minimum = Math.min(window.minimum, min);
    window.timestamps.add(at.getTime());
    window.instanceType ??= key.instanceType;
    if (!window.raw.includes(raw)) window.raw.push(raw);
  }

  /** The windows, each knowing the instance type if any datapoint of that instance named it. */
  values(): Window[] {
    const windows = [...this.byKey.values()];
    const types = new Map(windows.filter((w) => w.instanceType).map((w) => [w.instanceId, w.instanceType]));
    return windows.map((w) => ({ ...w, instanceType: w.instanceType ?? types.get(w.instanceId) ?? null }));
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
  const average = window.count > 0 ? window.sum / window.count : 0;
  const sustainedHigh = average >= SUSTAINED_HIGH_PERCENT;
  const label = window.metric === 'gpu_utilization' ? 'GPU' : 'CPU';
  const minutes = Math.round((end.getTime() - start.getTime()) / 60_000);
  return {
    source: CLOUDWATCH_SOURCE,
    sourceId: [window.accountId, window.region, window.instanceId, window.metric, start.toISOString()].join('/'),
    // More datapoints for the same window start make a later end, hence a greater version.
    sourceVersion: `${end.toISOString()}#${padCount(window.count)}`,
    kind: 'utilization',
    provider: 'aws',
    accountId: window.accountId,
    region: window.region,
    observedAt: start.toISOString(),
    observedUntil: end.toISOString(),
    severity: sustainedHigh ? 'MEDIUM' : 'INFO',
    title: `${label} utilization of ${window.instanceId} averaged ${round(average)}% (max ${round(window.maximum)}%) over ${minutes} min`,
    mining: false,
    resources: [
      {
        provider: 'aws',
        accountId: window.accountId,
        region: window.region,
        type: 'aws.ec2.instance',
        id: window.instanceId,
        instanceType: window.instanceType,
      },
    ],
    principal: null,
    cost: null,
    attributes: {
      metric: window.metric,
      metricName: window.metricName,
      namespace: window.namespace,
      average: round(average),
      maximum: round(window.maximum),
      minimum: round(window.minimum),
      sampleCount: window.count,
      periodSeconds,
      windowSeconds: (end.getTime() - start.getTime()) / 1000,
      sustainedHigh,
      stat: window.stat,
      statusCode: window.statusCode,
      unit: window.unit,
      metricStream: window.metricStream,
      instanceType: window.instanceType,
      instanceFamily: window.instanceType ? instanceFamilyOf(window.instanceType) : null,
      gpuInstance: window.instanceType ? isGpuInstanceType(window.instanceType) : false,
    },
    raw: window.raw.length === 1 ? window.raw[0] : window.raw,
  };
}

function dimension(dimensions: Record<string, unknown> | undefined, name: string): string | null {
  const value = dimensions && Object.hasOwn(dimensions, name) ? dimensions[name] : undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** Returns how many datapoints were ignored. */
function addStreamRecord(item: Item, windows: Windows, issues: IssueList): number {
  const result = streamRecordSchema.safeParse(item.value);
  if (!result.success) {
    issues.addZod(result.error, item);
    return 0;
  }
  const r = result.data;
  const metric = TRACKED_METRICS[`${r.namespace}|${r.metric_name}`];
  const instanceId = dimension(r.dimensions, 'InstanceId');
  if (!metric || !instanceId) return 1;
  windows.add(
    {
      accountId: r.account_id,
      region: r.region,
      instanceId,
      instanceType: dimension(r.dimensions, 'InstanceType'),
      metric,
      metricName: r.metric_name,
      namespace: r.namespace,
      periodSeconds: null,
      stat: null,
      statusCode: null,
      unit: r.unit ?? null,
      metricStream: r.metric_stream_name ?? null,
    },
    parseEpoch(r.timestamp, 'ms')!,
    r.value.sum,
    r.value.count,
    r.value.max,
    r.value.min,
    item.value,
  );
  return 0;
}

/** Returns how many datapoints were ignored. */
function addGetMetricData(item: Item, windows: Windows, issues: IssueList): number {
  const camelized = camelize(item.value);
  const result = getMetricDataSchema.safeParse(camelized.value);
  if (!result.success) {
    issues.addZod(result.error, item, camelized);
    return 0;
  }
  const { accountId, region, metricDataQueries, metricDataResults } = result.data;
  const field = (path: (string | number)[]): string => joinPointer(item.pointer, camelized.originalPath(path));
  let ignored = 0;
  metricDataResults.forEach((series, i) => {
    if (series.timestamps.length !== series.values.length) {
      issues.add(item.index, field(['metricDataResults', i, 'values']), 'must have as many entries as Timestamps');
      return;
    }
    const query = metricDataQueries.find((q) => q.id === series.id);
    if (!query) {
      issues.add(item.index, field(['metricDataResults', i, 'id']), `no MetricDataQueries entry has Id "${series.id}"`);
      return;
    }
    const stat = query.metricStat;
    const dimensions = Object.fromEntries((stat?.metric.dimensions ?? []).map((d) => [d.name, d.value]));
    const metric = stat && TRACKED_METRICS[`${stat.metric.namespace}|${stat.metric.metricName}`];
    const instanceId = dimension(dimensions, 'InstanceId');
    if (!stat || !metric || !instanceId) {
      ignored += series.values.length;
      return;
    }
    const key = {
      accountId,
      region,
      instanceId,
      instanceType: dimension(dimensions, 'InstanceType'),
      metric,
      metricName: stat.metric.metricName,
      namespace: stat.metric.namespace,
      periodSeconds: stat.period,
      stat: stat.stat ?? null,
      statusCode: series.statusCode ?? null,
      unit: null,
      metricStream: null,
    };
    series.values.forEach((value, j) => {
      windows.add(key, parseTimestamp(series.timestamps[j])!, value, 1, value, value, item.value);
    });
  });
  return ignored;
}

function isGetMetricData(value: unknown): boolean {
  return isObject(value) && (own(value, 'MetricDataResults') !== undefined || own(value, 'metricDataResults') !== undefined);
}

export const parseCloudWatch: Parser = (body) => {
  const issues = new IssueList();
  const windows = new Windows();
  let ignored = 0;
  for (const item of unwrapList(body, [], issues)) {
    ignored += isGetMetricData(item.value) ? addGetMetricData(item, windows, issues) : addStreamRecord(item, windows, issues);
  }
  issues.throwIfAny();
  return { signals: windows.values().map(toSignal), ignored };
};
