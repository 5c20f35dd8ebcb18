/**
 * `gcp.monitoring`: CPU and GPU utilization of Compute Engine VMs, as Cloud Monitoring
 * `projects.timeSeries.list` returns it: `{timeSeries: [{metric: {type, labels}, resource: {type,
 * labels: {project_id, instance_id, zone}}, metadata?, metricKind, valueType, points: [{interval:
 * {startTime, endTime}, value: {doubleValue}}], unit}], nextPageToken, unit}`. Several pages may
 * come as an array (or NDJSON) of such responses; a bare TimeSeries or an array of them works too.
 *
 * Tracked metrics (on `gce_instance`): the hypervisor's `compute.googleapis.com/instance/cpu/utilization`
 * (a 0–1 fraction, unit `10^2.%`) and the Ops Agent's `agent.googleapis.com/gpu/utilization` (percent,
 * one series per GPU). Points of other metrics or resource types are counted as ignored. One signal
 * per (project, zone, instance, metric) of a request summarizes its window, in percent.
 */
import { z } from 'zod';

import {
  asObject,
  asString,
  dig,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalIsoDateString,
  optionalString,
  own,
  padCount,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Item,
} from '#src/connectors/common.js';
// One bar for sustained high load on every cloud, so the correlation rules read them alike.
import { SUSTAINED_HIGH_PERCENT } from '#src/connectors/aws/cloudwatch.parser.js';
import { computeInstanceId, lastSegment, regionOf } from '#src/connectors/gcp/resource-names.js';
import type { Parser, Signal } from '#src/connectors/signal.js';
import { instanceFamilyOf, isGpuInstanceType } from '#src/connectors/taxonomy.js';

export const MONITORING_SOURCE = 'gcp.monitoring';

export { SUSTAINED_HIGH_PERCENT };

interface TrackedMetric {
  /** The cloud-neutral name rules read in `attributes.metric`. */
  metric: 'cpu_utilization' | 'gpu_utilization';
  /** The unit the metric descriptor documents, used when the series does not say. */
  unit: string;
}

/** `metric.type` of `gce_instance` series → how to read them. */
export const TRACKED_METRICS: Readonly<Record<string, TrackedMetric>> = {
  'compute.googleapis.com/instance/cpu/utilization': { metric: 'cpu_utilization', unit: '10^2.%' },
  'agent.googleapis.com/gpu/utilization': { metric: 'gpu_utilization', unit: '%' },
};

/** Factor that turns a value in `unit` into percent: `10^2.%` and `1` are fractions, `%` is percent already. */
function percentFactor(unit: string): number | null {
  const u = unit.trim();
  if (u === '%') return 1;
  if (u === '10^2.%' || u === '1') return 100;
  return null;
}

// Cloud Monitoring samples GCE CPU utilization every 60 s; used when neither the intervals nor the
// point spacing say otherwise.
const DEFAULT_PERIOD_SECONDS = 60;

const labels = z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional();

// proto3 JSON: doubles are numbers, except NaN and ±Infinity which are strings; int64 values are strings.
const numericValue = z
  .union([z.number(), z.string().regex(/^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity)$/, 'must be a number')], {
    error: 'must be a number',
  })
  .optional();

const pointSchema = z.looseObject(
  {
    interval: z.looseObject(
      { startTime: optionalIsoDateString, endTime: isoDateString },
      { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
    ),
    value: z.looseObject(
      { doubleValue: numericValue, int64Value: numericValue },
      { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
    ),
  },
  { error: 'a point must be a JSON object' },
);

const timeSeriesSchema = z.looseObject(
  {
    metric: z.looseObject(
      { type: requiredString, labels },
      { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
    ),
    resource: z.looseObject(
      { type: requiredString, labels },
      { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
    ),
    metricKind: optionalString,
    valueType: optionalString,
    unit: optionalString,
    points: z.array(pointSchema, { error: 'must be an array' }).optional(),
  },
  { error: 'a TimeSeries must be a JSON object' },
);

type TimeSeries = z.infer<typeof timeSeriesSchema>;

/** One series of a tracked metric, validated and with its instance identified. */
interface Series {
  project: string;
  zone: string;
  instanceId: string;
  instanceName: string | null;
  machineType: string | null;
  tracked: TrackedMetric;
  metricType: string;
  unit: string;
  factor: number;
  gpuModel: string | null;
  points: { start: Date | null; end: Date; value: number }[];
  unreadable: number;
  raw: unknown;
}

function label(map: Record<string, unknown> | undefined, key: string): string | null {
  if (!map || !Object.hasOwn(map, key)) return null;
  const value = map[key];
  return typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null;
}

/** A point's number: proto3 JSON sends doubles as numbers (`"NaN"` as a string) and int64 as strings. */
function pointValue(value: { doubleValue?: number | string; int64Value?: number | string }): number | null {
  const raw = value.doubleValue ?? value.int64Value;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** Returns the series, or the number of points it contributes to `ignored`. */
function readSeries(item: Item, responseUnit: string | null, issues: IssueList): Series | number {
  const result = timeSeriesSchema.safeParse(item.value);
  if (!result.success) issues.addZod(result.error, item);
  const metricType = asString(dig(item.value, 'metric', 'type'));
  const tracked = metricType && Object.hasOwn(TRACKED_METRICS, metricType) ? TRACKED_METRICS[metricType]! : null;
  const isInstance = dig(item.value, 'resource', 'type') === 'gce_instance';
  if (!result.success && !(tracked && isInstance)) return 0;

  // The labels that say which VM are checked even when other fields are wrong, so one reply names them all.
  const resourceLabels = asObject(dig(item.value, 'resource', 'labels')) ?? undefined;
  const required = {
    project_id: label(resourceLabels, 'project_id'),
    zone: label(resourceLabels, 'zone'),
    instance_id: label(resourceLabels, 'instance_id'),
  };
  let valid = result.success;
  if (tracked && isInstance) {
    for (const [key, value] of Object.entries(required)) {
      if (value === null) {
        issues.add(item.index, joinPointer(item.pointer, ['resource', 'labels', key]), 'is required for a gce_instance series');
        valid = false;
      }
    }
  }
  if (!result.success) return 0;
  const ts: TimeSeries = result.data;
  const points = ts.points ?? [];
  if (!tracked || !isInstance) return points.length;
  const unit = ts.unit || responseUnit || tracked.unit;
  const factor = percentFactor(unit);
  if (factor === null) {
    issues.add(
      item.index,
      joinPointer(item.pointer, ['unit']),
      `unsupported unit ${JSON.stringify(unit)} for ${ts.metric.type}; expected "10^2.%", "1" or "%"`,
    );
    valid = false;
  }
  if (!valid || factor === null) return 0;

  const systemLabels = asObject(dig(item.value, 'metadata', 'systemLabels'));
  const readings = points.map((p) => ({
    start: parseIsoDate(p.interval.startTime),
    end: parseIsoDate(p.interval.endTime)!,
    value: pointValue(p.value),
  }));
  const machineType = asString(systemLabels?.['machine_type']);
  return {
    project: required.project_id!,
    zone: required.zone!,
    instanceId: required.instance_id!,
    // The CPU metric labels each series with the VM's name; the agent's GPU metric does not, but a
    // timeSeries.list with view=FULL returns the name in the resource metadata.
    instanceName: label(ts.metric.labels, 'instance_name') ?? asString(systemLabels?.['name']),
    machineType: machineType ? lastSegment(machineType) : null,
    tracked,
    metricType: ts.metric.type,
    unit,
    factor,
    gpuModel: label(ts.metric.labels, 'model'),
    points: readings.flatMap((p) => (p.value === null ? [] : [{ ...p, value: p.value * factor }])),
    // NaN and Infinity (which proto3 JSON sends as strings) cannot be averaged.
    unreadable: readings.filter((p) => p.value === null).length,
    raw: item.value,
  };
}

const round = (n: number): number => Math.round(n * 100) / 100;

function smallestGapSeconds(times: readonly number[]): number | null {
  let gap: number | null = null;
  for (let i = 1; i < times.length; i += 1) {
    const d = (times[i]! - times[i - 1]!) / 1000;
    if (d > 0 && (gap === null || d < gap)) gap = d;
  }
  return gap;
}

/** Summarizes all series of one (project, zone, instance, metric): several GPUs of a VM make one window. */
function toSignal(group: Series[], names: ReadonlyMap<string, string>): Signal | null {
  const first = group[0]!;
  const points = group.flatMap((s) => s.points);
  if (points.length === 0) return null;
  const ends = [...new Set(points.map((p) => p.end.getTime()))].sort((a, b) => a - b);
  // Aligned series (ALIGN_MEAN over an alignment period) give each point a start; raw GAUGE points
  // are instants, each standing for the sampling period before it.
  const aligned = Math.max(0, ...points.map((p) => (p.start ? (p.end.getTime() - p.start.getTime()) / 1000 : 0)));
  const periodSeconds = aligned > 0 ? aligned : (smallestGapSeconds(ends) ?? DEFAULT_PERIOD_SECONDS);
  const start = new Date(ends[0]! - periodSeconds * 1000);
  const end = new Date(ends.at(-1)!);
  const values = points.map((p) => p.value);
  const average = values.reduce((a, b) => a + b, 0) / values.length;
  const maximum = Math.max(...values);
  const minimum = Math.min(...values);
  const sustainedHigh = average >= SUSTAINED_HIGH_PERCENT;

  const instanceName = group.map((s) => s.instanceName).find((n) => n) ?? names.get(`${first.project}/${first.instanceId}`) ?? null;
  // Without a name the numeric id stands in; such a VM links only to signals that also used the id.
  const instanceKey = instanceName ?? first.instanceId;
  const machineType = group.map((s) => s.machineType).find((t) => t) ?? null;
  const region = regionOf(first.zone);
  const label = first.tracked.metric === 'gpu_utilization' ? 'GPU' : 'CPU';
  const minutes = Math.round((end.getTime() - start.getTime()) / 60_000);
  const gpuModels = [...new Set(group.map((s) => s.gpuModel).filter((m): m is string => m !== null))];

  return {
    source: MONITORING_SOURCE,
    sourceId: [first.project, first.zone, instanceKey, first.tracked.metric, start.toISOString()].join('/'),
    // More points for the same window start make a later end or a larger count, hence a greater version.
    sourceVersion: `${end.toISOString()}#${padCount(points.length)}`,
    kind: 'utilization',
    provider: 'gcp',
    accountId: first.project,
    region,
    observedAt: start.toISOString(),
    observedUntil: end.toISOString(),
    severity: sustainedHigh ? 'MEDIUM' : 'INFO',
    title: `${label} utilization of ${instanceKey} averaged ${round(average)}% (max ${round(maximum)}%) over ${minutes} min`,
    mining: false,
    resources: [
      {
        provider: 'gcp',
        accountId: first.project,
        region,
        type: 'gcp.compute.instance',
        id: computeInstanceId(first.project, first.zone, instanceKey),
        instanceType: machineType,
      },
    ],
    principal: null,
    cost: null,
    attributes: {
      metric: first.tracked.metric,
      metricType: first.metricType,
      average: round(average),
      maximum: round(maximum),
      minimum: round(minimum),
      sampleCount: points.length,
      periodSeconds,
      windowSeconds: (end.getTime() - start.getTime()) / 1000,
      sustainedHigh,
      unit: first.unit,
      instanceId: first.instanceId,
      instanceName,
      instanceType: machineType,
      instanceFamily: machineType ? instanceFamilyOf(machineType) : null,
      gpuInstance: machineType ? isGpuInstanceType(machineType) : false,
      gpuCount: first.tracked.metric === 'gpu_utilization' ? group.length : null,
      gpuModels,
    },
    raw: group.length === 1 ? first.raw : group.map((s) => s.raw),
  };
}

/** Expands list responses (one or several pages) into their series, remembering each page's `unit`. */
function seriesItems(body: unknown, issues: IssueList): { item: Item; unit: string | null }[] {
  const out: { item: Item; unit: string | null }[] = [];
  for (const item of unwrapList(body, ['timeSeries'], issues)) {
    const page = item.value;
    const pageUnit = isObject(body) && !Array.isArray(body) ? asString(own(body, 'unit')) : null;
    if (isObject(page) && Object.hasOwn(page, 'timeSeries')) {
      const pointer = joinPointer(item.pointer, ['timeSeries']);
      const series = own(page, 'timeSeries');
      if (!Array.isArray(series)) {
        issues.add(item.index, pointer, 'must be an array');
        continue;
      }
      const unit = asString(own(page, 'unit'));
      series.forEach((value, i) => out.push({ item: { value, index: item.index, pointer: joinPointer(pointer, [i]) }, unit }));
    } else {
      out.push({ item, unit: pageUnit });
    }
  }
  return out;
}

export const parseMonitoring: Parser = (body) => {
  const issues = new IssueList();
  let ignored = 0;
  const groups = new Map<string, Series[]>();
  const names = new Map<string, string>();
  for (const { item, unit } of seriesItems(body, issues)) {
    const series = readSeries(item, unit, issues);
    if (typeof series === 'number') {
      ignored += series;
      continue;
    }
    ignored += series.unreadable;
    if (series.instanceName) names.set(`${series.project}/${series.instanceId}`, series.instanceName);
    const key = [series.project, series.zone, series.instanceId, series.tracked.metric].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), series]);
  }
  issues.throwIfAny();
  const signals: Signal[] = [];
  for (const group of groups.values()) {
    const signal = toSignal(group, names);
    if (signal) signals.push(signal);
  }
  return { signals, ignored };
};
