import { fleet, leakedKeyScenario, SCENARIO } from '#src/demo/leaked-key.scenario.js';
import type { AwsFakeData } from './aws-fake.js';

const EC2_COMPUTE = 'Amazon Elastic Compute Cloud - Compute';

function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), camelKeys(v)]));
}

function pascalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), pascalKeys(v)]));
}

/**
 * The demo's "leaked access key, GPU fleet in four regions" as AWS would hold it: the same
 * CloudTrail records, GuardDuty findings, CPU datapoints and cost anomaly that `npm run demo`
 * pushes, laid out for the APIs a pull connector calls. Cost and usage adds the account's ordinary
 * EC2 spend for five weeks and the day of the fleet.
 */
export function leakedKeyAwsData(): AwsFakeData {
  const data: AwsFakeData = { cloudTrail: [], findings: [], metrics: [], instances: [], anomalies: [], costs: [] };
  for (const payload of leakedKeyScenario()) {
    const body = typeof payload.body === 'string' ? (JSON.parse(payload.body) as unknown) : payload.body;
    if (payload.source === 'aws.cloudtrail') {
      for (const record of (body as { Records: Array<Record<string, unknown>> }).Records)
        data.cloudTrail.push({ region: String(record['awsRegion']), record });
    } else if (payload.source === 'aws.guardduty') {
      const findings = Array.isArray(body)
        ? (body as Array<{ detail: Record<string, unknown> }>).map((e) => e.detail)
        : (body as { findings: Array<Record<string, unknown>> }).findings;
      for (const finding of findings) {
        const detectorId = String((finding['service'] as { detectorId: string }).detectorId);
        data.findings.push({ region: String(finding['region']), detectorId, finding: camelKeys(finding) as Record<string, unknown> });
      }
    } else if (payload.source === 'aws.cloudwatch') {
      const envelope = body as {
        region: string;
        MetricDataQueries: Array<{ Id: string; MetricStat: { Metric: { Dimensions: Array<{ Name: string; Value: string }> } } }>;
        MetricDataResults: Array<{ Id: string; Timestamps: string[]; Values: number[] }>;
      };
      for (const result of envelope.MetricDataResults) {
        const query = envelope.MetricDataQueries.find((q) => q.Id === result.Id)!;
        const instanceId = query.MetricStat.Metric.Dimensions.find((d) => d.Name === 'InstanceId')!.Value;
        data.metrics.push({
          region: envelope.region,
          instanceId,
          points: result.Timestamps.map((t, i) => ({ at: Date.parse(t), value: result.Values[i]! })),
        });
      }
    } else if (payload.source === 'aws.cost-anomaly') {
      // The bare SNS message, or (as the demo once sent it) inside the SNS notification envelope.
      const envelope = body as { Message?: unknown };
      const message = (typeof envelope.Message === 'string' ? JSON.parse(envelope.Message) : body) as Record<string, unknown>;
      // GetAnomalies says DimensionValue where the SNS message says dimensionalValue, and dates without times.
      const { dimensionalValue, anomalyDetailsLink: _link, subscriptionId: _s, subscriptionName: _n, accountId: _a, ...rest } = message;
      const anomaly = pascalKeys({ ...rest, dimensionValue: dimensionalValue }) as Record<string, unknown>;
      anomaly['AnomalyStartDate'] = String(message['anomalyStartDate']).slice(0, 10);
      anomaly['AnomalyEndDate'] = String(message['anomalyEndDate']).slice(0, 10);
      data.anomalies.push(anomaly);
      // A small, unrelated anomaly a week earlier, so GetAnomalies has a second page.
      data.anomalies.push({
        AnomalyId: 'c1a9e57d-0d2e-4f3b-9a1e-5d3b2f6a7e10',
        AnomalyStartDate: '2026-11-12',
        AnomalyEndDate: '2026-11-12',
        DimensionValue: 'Amazon Simple Storage Service',
        RootCauses: [
          {
            Service: 'Amazon Simple Storage Service',
            Region: 'us-east-1',
            LinkedAccount: SCENARIO.accountId,
            UsageType: 'USE1-TimedStorage-ByteHrs',
          },
        ],
        AnomalyScore: { MaxScore: 0.61, CurrentScore: 0.61 },
        Impact: { MaxImpact: 41.2, TotalImpact: 41.2, TotalActualSpend: 96.1, TotalExpectedSpend: 54.9, TotalImpactPercentage: 75.05 },
        MonitorArn: `arn:aws:ce::${SCENARIO.accountId}:anomalymonitor/${'0'.repeat(8)}-0000-4000-8000-000000000001`,
      });
    }
  }
  for (const i of fleet())
    data.instances.push({ region: i.region, instanceId: i.id, instanceType: SCENARIO.instanceType, ownerId: SCENARIO.accountId });
  // Ordinary spend: a few small instances in us-east-1 every day; the fleet's day on top.
  const first = Date.parse('2026-10-01T00:00:00Z');
  for (let d = first; d < Date.now(); d += 86_400_000) {
    const day = new Date(d).toISOString().slice(0, 10);
    data.costs.push({
      day,
      region: 'us-east-1',
      account: SCENARIO.accountId,
      service: EC2_COMPUTE,
      usageType: 'BoxUsage:m5.large',
      amount: SCENARIO.expectedSpend,
    });
    if (day === '2026-11-21') {
      for (const [region, count] of Object.entries(SCENARIO.regions)) {
        data.costs.push({
          day,
          region,
          account: SCENARIO.accountId,
          service: EC2_COMPUTE,
          usageType: `BoxUsage:${SCENARIO.instanceType}`,
          amount: count * 12.24 * 24,
        });
      }
    }
  }
  return data;
}

/** Days back a first run must reach to see the scenario (Nov 20–22, 2026) from today, with a week to spare. */
export function backfillDaysForScenario(): number {
  return Math.min(400, Math.ceil((Date.now() - Date.parse('2026-11-13T00:00:00Z')) / 86_400_000));
}
