/**
 * `aws.cost-anomaly`: AWS Cost Anomaly Detection alerts, as
 * - the SNS message body (bare, as the Cost Management User Guide shows it),
 * - that message inside an SNS HTTP(S) notification (`{"Type":"Notification","Message":"<json>"}`),
 * - an EventBridge `Anomaly Detected` event (`source` `aws.ce`), one or an array,
 * - a Cost Explorer `GetAnomalies` response (`{"Anomalies": [...]}`, PascalCase), or an array of anomalies.
 *
 * The SNS message says `dimensionalValue`, EventBridge and GetAnomalies `dimensionValue`; both are read.
 */
import { z } from 'zod';

import {
  asNumber,
  asString,
  camelize,
  decodeJsonString,
  endOfUtcDay,
  IssueList,
  isDateOnly,
  isEventBridgeEvent,
  isObject,
  isoDateString,
  joinPointer,
  optionalIsoDateString,
  optionalNumber,
  optionalString,
  own,
  padCount,
  parseIsoDate,
  requiredString,
  unwrapEventBridge,
  unwrapList,
  type Item,
} from '#src/connectors/common.js';
import type { Parser, Severity, Signal } from '#src/connectors/signal.js';
import { instanceFamilyOf, isGpuInstanceType, usageTypeInstanceType } from '#src/connectors/taxonomy.js';

export const COST_ANOMALY_SOURCE = 'aws.cost-anomaly';

/**
 * Severity by total impact in USD. A cost anomaly alone is no mining verdict, so the bands are
 * about money at stake: at least 10,000 CRITICAL, 1,000 HIGH, 100 MEDIUM, anything above 0 LOW.
 */
export const COST_SEVERITY_THRESHOLDS: readonly (readonly [number, Severity])[] = [
  [10_000, 'CRITICAL'],
  [1_000, 'HIGH'],
  [100, 'MEDIUM'],
];

export function costAnomalySeverity(totalImpact: number): Severity {
  for (const [threshold, severity] of COST_SEVERITY_THRESHOLDS) {
    if (totalImpact >= threshold) return severity;
  }
  return totalImpact > 0 ? 'LOW' : 'INFO';
}

/** Region display names (as the console and Price List show them) to region codes. */
const REGION_NAMES: Readonly<Record<string, string>> = {
  'us east (n. virginia)': 'us-east-1',
  'us east (ohio)': 'us-east-2',
  'us west (n. california)': 'us-west-1',
  'us west (oregon)': 'us-west-2',
  'africa (cape town)': 'af-south-1',
  'asia pacific (hong kong)': 'ap-east-1',
  'asia pacific (mumbai)': 'ap-south-1',
  'asia pacific (hyderabad)': 'ap-south-2',
  'asia pacific (singapore)': 'ap-southeast-1',
  'asia pacific (sydney)': 'ap-southeast-2',
  'asia pacific (jakarta)': 'ap-southeast-3',
  'asia pacific (melbourne)': 'ap-southeast-4',
  'asia pacific (malaysia)': 'ap-southeast-5',
  'asia pacific (thailand)': 'ap-southeast-7',
  'asia pacific (tokyo)': 'ap-northeast-1',
  'asia pacific (seoul)': 'ap-northeast-2',
  'asia pacific (osaka)': 'ap-northeast-3',
  'canada (central)': 'ca-central-1',
  'canada west (calgary)': 'ca-west-1',
  'europe (frankfurt)': 'eu-central-1',
  'europe (zurich)': 'eu-central-2',
  'europe (ireland)': 'eu-west-1',
  'europe (london)': 'eu-west-2',
  'europe (paris)': 'eu-west-3',
  'europe (milan)': 'eu-south-1',
  'europe (spain)': 'eu-south-2',
  'europe (stockholm)': 'eu-north-1',
  'israel (tel aviv)': 'il-central-1',
  'mexico (central)': 'mx-central-1',
  'middle east (bahrain)': 'me-south-1',
  'middle east (uae)': 'me-central-1',
  'south america (sao paulo)': 'sa-east-1',
  'south america (são paulo)': 'sa-east-1',
  'aws govcloud (us-east)': 'us-gov-east-1',
  'aws govcloud (us-west)': 'us-gov-west-1',
  'aws govcloud (us)': 'us-gov-west-1',
};

const REGION_CODE = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+$/;

/** A region code, or the code of a region display name (`EU (Ireland)` is the older spelling of `Europe (Ireland)`). */
export function awsRegionCode(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (REGION_CODE.test(trimmed)) return trimmed;
  const name = trimmed.toLowerCase().replace(/^eu \(/, 'europe (');
  return Object.hasOwn(REGION_NAMES, name) ? REGION_NAMES[name]! : null;
}

const ACCOUNT_ID = /^\d{12}$/;
const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'];

const rootCauseSchema = z.looseObject(
  {
    service: optionalString,
    region: optionalString,
    linkedAccount: optionalString,
    linkedAccountName: optionalString,
    usageType: optionalString,
    impact: z.looseObject({ contribution: optionalNumber }, { error: 'must be an object' }).optional(),
  },
  { error: 'must be an object' },
);

const anomalySchema = z.looseObject(
  {
    anomalyId: requiredString,
    anomalyStartDate: isoDateString,
    anomalyEndDate: optionalIsoDateString,
    accountId: optionalString,
    monitorArn: optionalString,
    monitorName: optionalString,
    dimensionValue: optionalString,
    dimensionalValue: optionalString,
    feedback: optionalString,
    anomalyDetailsLink: optionalString,
    anomalyScore: z.looseObject({ currentScore: optionalNumber, maxScore: optionalNumber }, { error: 'must be an object' }).optional(),
    impact: z
      .looseObject(
        {
          maxImpact: optionalNumber,
          totalImpact: optionalNumber,
          totalActualSpend: optionalNumber,
          totalExpectedSpend: optionalNumber,
          totalImpactPercentage: optionalNumber,
        },
        { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
      )
      .refine((i) => i.totalImpact !== undefined || i.maxImpact !== undefined, 'needs totalImpact or maxImpact'),
    rootCauses: z.array(rootCauseSchema, { error: 'must be an array' }).optional(),
  },
  { error: 'a cost anomaly must be a JSON object' },
);

type Anomaly = z.infer<typeof anomalySchema>;
type RootCause = z.infer<typeof rootCauseSchema>;

/**
 * Cost Anomaly Detection works in whole days: a date-only end, or one at midnight UTC, stands for
 * that whole day. An anomaly without an end date is still open; its window ends with its first day.
 */
function windowOf(anomaly: Anomaly): { start: Date; end: Date } {
  const start = parseIsoDate(anomaly.anomalyStartDate)!;
  const endText = anomaly.anomalyEndDate ?? anomaly.anomalyStartDate;
  const end = parseIsoDate(endText)!;
  const wholeDay = isDateOnly(endText) || end.getTime() % 86_400_000 === 0;
  const until = wholeDay ? endOfUtcDay(end) : end;
  return { start, end: until.getTime() >= start.getTime() ? until : start };
}

/** The root cause that contributed most; GetAnomalies and the alerts list them unordered. */
function primaryRootCause(rootCauses: readonly RootCause[]): RootCause | null {
  let best: RootCause | null = null;
  for (const cause of rootCauses) {
    const contribution = cause.impact?.contribution ?? 0;
    if (best === null || contribution > (best.impact?.contribution ?? 0)) best = cause;
  }
  return best;
}

function accountOf(anomaly: Anomaly, primary: RootCause | null, envelope: unknown): string | null {
  const candidates = [
    primary?.linkedAccount,
    anomaly.accountId,
    isObject(envelope) ? asString(own(envelope, 'account')) : null,
    /^arn:[^:]+:ce::(\d{12}):/.exec(anomaly.monitorArn ?? '')?.[1],
  ];
  return candidates.find((c): c is string => typeof c === 'string' && ACCOUNT_ID.test(c)) ?? null;
}

function toSignal(anomaly: Anomaly, item: Item, issues: IssueList): Signal | null {
  const rootCauses = anomaly.rootCauses ?? [];
  const primary = primaryRootCause(rootCauses);
  const accountId = accountOf(anomaly, primary, item.envelope);
  if (accountId === null) {
    issues.add(item.index, item.pointer, 'names no 12-digit AWS account (rootCauses[].linkedAccount, accountId or monitorArn)');
    return null;
  }
  const { start, end } = windowOf(anomaly);
  const impact = anomaly.impact;
  const amount = impact.totalImpact ?? impact.maxImpact ?? 0;
  const usageType = primary?.usageType ?? null;
  const instanceType = usageType ? usageTypeInstanceType(usageType) : null;
  const dimensionValue = anomaly.dimensionValue ?? anomaly.dimensionalValue ?? null;
  const service = primary?.service ?? dimensionValue;
  const gpuUsage = rootCauses.some((cause) => {
    const type = cause.usageType ? usageTypeInstanceType(cause.usageType) : null;
    return type !== null && isGpuInstanceType(type);
  });

  const where = [service, instanceType].filter(Boolean).join(', ');
  return {
    source: COST_ANOMALY_SOURCE,
    sourceId: anomaly.anomalyId,
    // Cost Anomaly Detection re-sends the same anomaly id while it grows: a later end day, then a
    // larger impact (in cents, zero-padded), make a greater version.
    sourceVersion: `${end.toISOString()}#${padCount(Math.round(amount * 100), 15)}`,
    kind: 'cost_anomaly',
    provider: 'aws',
    accountId,
    region: awsRegionCode(primary?.region),
    observedAt: start.toISOString(),
    observedUntil: end.toISOString(),
    severity: costAnomalySeverity(amount),
    title: `Cost anomaly: ${amount.toFixed(2)} USD above expected spend${where ? ` (${where})` : ''}`,
    mining: false,
    resources: [],
    principal: null,
    cost: { amount, currency: 'USD' },
    attributes: {
      service,
      usageType,
      instanceType,
      instanceFamily: instanceType ? instanceFamilyOf(instanceType) : null,
      gpuUsage,
      dimensionValue,
      expectedSpend: impact.totalExpectedSpend ?? null,
      actualSpend: impact.totalActualSpend ?? null,
      maxImpact: impact.maxImpact ?? null,
      totalImpact: impact.totalImpact ?? null,
      totalImpactPercentage: impact.totalImpactPercentage ?? null,
      anomalyScore: anomaly.anomalyScore?.currentScore ?? null,
      maxAnomalyScore: anomaly.anomalyScore?.maxScore ?? null,
      monitorArn: anomaly.monitorArn ?? null,
      feedback: anomaly.feedback ?? null,
      detailsLink: anomaly.anomalyDetailsLink ?? null,
      rootCauses: rootCauses.map((cause) => ({
        service: cause.service ?? null,
        region: cause.region ?? null,
        regionCode: awsRegionCode(cause.region),
        linkedAccount: cause.linkedAccount ?? null,
        linkedAccountName: cause.linkedAccountName ?? null,
        usageType: cause.usageType ?? null,
        contribution: asNumber(cause.impact?.contribution),
      })),
    },
    raw: item.value,
  };
}

/** Strips the delivery channel: EventBridge event → detail, SNS notification → decoded Message. */
function unwrapDelivery(item: Item, issues: IssueList): Item | null {
  if (isEventBridgeEvent(item.value)) return unwrapEventBridge(item, ['Anomaly Detected'], issues);
  const type = isObject(item.value) ? own(item.value, 'Type') : undefined;
  if (typeof type !== 'string' || !SNS_MESSAGE_TYPES.includes(type)) return item;
  if (type !== 'Notification') {
    issues.add(
      item.index,
      joinPointer(item.pointer, ['Type']),
      `an SNS ${type} carries no anomaly (confirm the subscription through its SubscribeURL)`,
    );
    return null;
  }
  return decodeJsonString(item, 'Message', issues);
}

export const parseCostAnomaly: Parser = (body) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  for (const listed of unwrapList(body, ['Anomalies', 'anomalies'], issues)) {
    const item = unwrapDelivery(listed, issues);
    if (!item) continue;
    const camelized = camelize(item.value);
    const result = anomalySchema.safeParse(camelized.value);
    if (!result.success) {
      issues.addZod(result.error, item, camelized);
      continue;
    }
    const signal = toSignal(result.data, item, issues);
    if (signal) signals.push(signal);
  }
  issues.throwIfAny();
  return { signals, ignored: 0 };
};
