/**
 * The detector's verdicts as `cost_anomaly` signals, and the rule that keeps them from counting
 * the same money twice as a native anomaly. Pure: no database.
 */
import { costAnomalySeverity } from '#src/connectors/aws/cost-anomaly.parser.js';
import { armResourceRefs } from '#src/connectors/azure/arm.js';
import { skuBillsGpu } from '#src/connectors/gcp/gcp-taxonomy.js';
import { resourceFromName, toResourceRef } from '#src/connectors/gcp/resource-names.js';
import type { ResourceRef, Signal } from '#src/connectors/signal.js';
import { instanceFamilyOf, isAwsInstanceType, isGpuInstanceType, usageTypeInstanceType } from '#src/connectors/taxonomy.js';
import { DETECTOR_NAME, type Evaluation } from '#src/modules/cost/anomaly-detector.js';
import type { SeriesIdentity } from '#src/modules/cost/cost-series.js';

export const DETECTOR_SOURCE = 'minewatch.cost-detector';

/**
 * - `active`: an anomaly; its cost counts.
 * - `superseded`: a native anomaly (AWS Cost Anomaly Detection, GCP Cloud Billing) covers the same
 *   account, service and day; the native one carries the cost.
 * - `withdrawn`: later cost data no longer shows an anomaly that day (a corrected export, or the
 *   excess is now carried by the anomalies of the series' parts).
 * Superseded and withdrawn signals keep their place (an analyst may have seen them) with no cost.
 */
export type DetectorStatus = 'active' | 'superseded' | 'withdrawn';

// ---------------------------------------------------------------------------------------------
// Native anomalies

/** A native cost anomaly as the supersession rule reads it. */
export interface NativeAnomaly {
  source: string;
  sourceId: string;
  provider: string;
  accountId: string;
  region: string | null;
  service: string | null;
  observedAt: Date;
  observedUntil: Date;
}

const normal = (service: string) => service.toLowerCase().replace(/[^a-z0-9]+/g, '');

/**
 * Whether two names of a billed service name the same one. Sources spell services differently:
 * FOCUS says `Amazon Elastic Compute Cloud`, Cost Anomaly Detection `Amazon Elastic Compute Cloud
 * - Compute`; so names match when one, without case and punctuation, starts with the other.
 */
export function sameService(a: string, b: string): boolean {
  const x = normal(a);
  const y = normal(b);
  return x.length > 0 && y.length > 0 && (x.startsWith(y) || y.startsWith(x));
}

/**
 * The native anomaly that already reports the spend of this series on this day, if any:
 * same provider and account, a window that overlaps the UTC day, the same region when both name
 * one, and the same service (a native anomaly without a service covers the whole account; an
 * account total is covered by any native anomaly of its account that day).
 */
export function coveringNative(series: SeriesIdentity, day: string, natives: readonly NativeAnomaly[]): NativeAnomaly | null {
  const from = Date.parse(`${day}T00:00:00Z`);
  const until = from + 86_400_000;
  for (const n of natives) {
    if (n.provider !== series.provider || n.accountId !== series.accountId) continue;
    if (n.observedUntil.getTime() < from || n.observedAt.getTime() >= until) continue;
    if (n.region !== null && series.region !== null && n.region !== series.region) continue;
    if (series.service !== null && n.service !== null && !sameService(series.service, n.service)) continue;
    return n;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// What a series names

const AZURE_VM_SIZE = /^(?:standard|basic)_[a-z0-9_-]+$/i;

/** The instance type a usage type or SKU names: `USE1-BoxUsage:p3.8xlarge`, `p3.8xlarge`, `Standard_NC24s_v3`. */
export function instanceTypeOf(usageType: string | null): string | null {
  if (!usageType) return null;
  const fromUsage = usageTypeInstanceType(usageType);
  if (fromUsage) return fromUsage;
  const trimmed = usageType.trim();
  return isAwsInstanceType(trimmed) || AZURE_VM_SIZE.test(trimmed) ? trimmed : null;
}

const ARN = /^arn:aws[a-z-]*:([a-z0-9-]+):[^:]*:[^:]*:([a-z0-9-]+)[/:]/i;

/** The resource of a resource series, typed the way the cloud's other sources type it. */
export function resourceRefOf(series: SeriesIdentity, instanceType: string | null): ResourceRef | null {
  const id = series.resourceId;
  if (id === null) return null;
  const base = {
    provider: series.provider,
    accountId: series.accountId,
    region: series.region,
    id,
    ...(instanceType ? { instanceType } : {}),
  };
  switch (series.provider) {
    case 'aws': {
      if (/^i-[0-9a-f]+$/.test(id)) return { ...base, type: 'aws.ec2.instance' };
      const arn = ARN.exec(id);
      return { ...base, type: arn ? `aws.${arn[1]!.toLowerCase()}.${arn[2]!.toLowerCase()}` : 'aws.resource' };
    }
    case 'azure': {
      const [ref] = armResourceRefs(id, series.region, instanceType);
      return ref ?? { ...base, type: 'azure.resource' };
    }
    case 'gcp': {
      const named = resourceFromName(id, { project: series.accountId });
      return named
        ? { ...toResourceRef(named, instanceType ?? undefined), accountId: series.accountId }
        : { ...base, type: 'gcp.resource' };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Signals

export interface DetectorSignalInput {
  series: SeriesIdentity;
  evaluation: Evaluation;
  /** The usage type that cost the most that day. */
  usageType: string | null;
  status: DetectorStatus;
  /** The excess this signal carries: the impact, less what anomalies of the series' parts carry. */
  cost: number;
  /** Cost of the same day already carried by anomalies of the series' resources or services. */
  carriedByParts: number;
  /** `<source>/<sourceId>` of the native anomaly that supersedes this one. */
  supersededBy: string | null;
  /** A number that grows with every detector run (a database sequence): orders versions. */
  revision: number;
}

const cents = (n: number) => Math.round(n * 100) / 100;

export function detectorSourceId(seriesKey: string, day: string): string {
  return `${seriesKey}/${day}`;
}

/** The signal for one series-day. */
export function detectorSignal(input: DetectorSignalInput): Signal {
  const { series, evaluation: e, status } = input;
  const instanceType = instanceTypeOf(input.usageType);
  const resource = resourceRefOf(series, instanceType);
  const what = [series.service ?? 'all services', series.region, instanceType ?? (series.level === 'resource' ? series.resourceId : null)]
    .filter(Boolean)
    .join(', ');
  const cost = cents(input.cost);
  const title =
    status === 'active'
      ? `Cost anomaly: ${cost.toFixed(2)} ${series.currency} above expected spend (${what})`
      : status === 'superseded'
        ? `Cost anomaly (${what}) reported by ${input.supersededBy?.split('/')[0] ?? 'the cloud'}; counted there`
        : `Cost anomaly withdrawn: ${e.day} no longer stands out (${what})`;
  const gpuUsage =
    (instanceType !== null && isGpuInstanceType(instanceType)) ||
    (series.provider === 'gcp' && !!input.usageType && skuBillsGpu(input.usageType));
  return {
    source: DETECTOR_SOURCE,
    sourceId: detectorSourceId(series.key, e.day),
    sourceVersion: String(input.revision).padStart(15, '0'),
    kind: 'cost_anomaly',
    provider: series.provider,
    accountId: series.accountId,
    region: series.region,
    observedAt: `${e.day}T00:00:00.000Z`,
    observedUntil: `${e.day}T23:59:59.999Z`,
    severity: status === 'active' ? costAnomalySeverity(cost) : 'INFO',
    title,
    mining: false,
    resources: resource ? [resource] : [],
    principal: null,
    cost: status === 'active' ? { amount: cost, currency: series.currency } : null,
    attributes: {
      service: series.service,
      usageType: input.usageType,
      instanceType,
      instanceFamily: instanceType ? instanceFamilyOf(instanceType) : null,
      gpuUsage,
      expectedSpend: cents(e.expected),
      actualSpend: cents(e.actual),
      totalImpact: cents(e.impact),
      carriedByParts: cents(input.carriedByParts),
      detector: DETECTOR_NAME,
      score: e.score,
      baselineDays: e.baselineDays,
      level: series.level,
      seriesKey: series.key,
      status,
      supersededBy: input.supersededBy,
    },
    raw: { series, evaluation: e },
  };
}

/** What makes two versions of a detector signal different for a user: anything else is a re-run. */
export function detectorFingerprint(s: { severity: string; cost: { amount: number } | null; attributes: Record<string, unknown> }): string {
  const a = s.attributes;
  return JSON.stringify([
    a['status'],
    s.severity,
    s.cost ? cents(s.cost.amount) : null,
    a['expectedSpend'],
    a['actualSpend'],
    a['usageType'],
    a['supersededBy'] ?? null,
  ]);
}
