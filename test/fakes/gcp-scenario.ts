import { readFixture, readFixtureText } from '../support/fixtures.js';
import type { BillingLineItem, GcpFakeData } from './gcp-fake.js';

/**
 * "A leaked service-account key starts A100 VMs in acme-ml-training" from the GCP fixtures (the
 * audit log inserts, the VM's CPU, the billing export's A100 rows, the Cloud Billing anomaly),
 * moved from June 2024 to the week before this run so a 35-day backfill reaches it, plus the
 * VM Threat Detection finding on that VM, and five weeks of the project's ordinary spend.
 */
export const GCP_SCENARIO = {
  project: 'acme-ml-training',
  billingAccount: '01A2B3-C4D5E6-F7A8B9',
  billingTable: 'acme-finops.billing.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9',
  vm: 'train-a100-01',
  zone: 'us-central1-a',
  instanceId: '6837514009281146213',
  /** The fixtures' day, and the day it becomes here. */
  fixtureDay: Date.parse('2024-06-13T00:00:00Z'),
  day: Math.floor(Date.now() / 86_400_000) * 86_400_000 - 7 * 86_400_000,
};

const SHIFT = GCP_SCENARIO.day - GCP_SCENARIO.fixtureDay;

/** Moves every timestamp of a fixture (ISO, or BigQuery's `2024-06-13 00:00:00 UTC`) by SHIFT. */
function shifted<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => {
    if (typeof v !== 'string') return v;
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.exec(v);
    if (iso) return new Date(Date.parse(v) + SHIFT).toISOString();
    const bq = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$/.exec(v);
    if (bq) return new Date(Date.parse(`${bq[1]}T${bq[2]}Z`) + SHIFT).toISOString();
    return v;
  }) as T;
}

export function leakedKeyGcpData(): GcpFakeData {
  const { project, vm, zone } = GCP_SCENARIO;
  const day = GCP_SCENARIO.day;
  const entries = shifted(
    readFixture<{ entries: Array<Record<string, unknown>> }>('gcp/audit-log/entries-list-leaked-key-gpu-inserts.json').entries,
  );
  const monitoring = readFixture<{ timeSeries: Array<Record<string, unknown>> }>(
    'gcp/monitoring/timeseries-list-cpu-gpu-high.json',
  ).timeSeries;
  const cpuTemplate = monitoring.find((s) => (s['metric'] as { type: string }).type === 'compute.googleapis.com/instance/cpu/utilization')!;
  const anomalies = shifted(
    readFixture<{ anomalies: Array<Record<string, unknown>> }>('gcp/billing/anomalies-list-gpu-and-bigquery.json').anomalies,
  );
  const exportRows = readFixtureText('gcp/billing/detailed-export-gpu-spike.ndjson')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as BillingLineItem & { project: { id: string } });
  const a100Rows = shifted(exportRows.filter((r) => r.project.id === project));

  const lineItems: BillingLineItem[] = [];
  const item = (template: BillingLineItem, at: number, cost: number): BillingLineItem => ({
    service: template.service,
    sku: template.sku,
    usage_start_time: new Date(at).toISOString(),
    project: { id: template.project.id },
    location: { region: template.location.region },
    resource: { name: template.resource.name, global_name: template.resource.global_name },
    cost,
    currency: template.currency,
    credits: [],
  });
  // The VM's A100 and core hours, all day long (the fixture has two of its hours).
  for (const template of a100Rows) {
    for (let h = 0; h < 24; h++) lineItems.push(item(template, day + h * 3_600_000, template.cost));
  }
  // Ordinary spend: a small web tier, every hour of the five weeks before and the weeks since.
  const web: BillingLineItem = {
    service: { id: '6F81-5844-456A', description: 'Compute Engine' },
    sku: { id: 'CF4E-A0C7-E3BF', description: 'N2 Instance Core running in Americas' },
    usage_start_time: '',
    project: { id: project },
    location: { region: 'us-central1' },
    resource: {
      name: 'web-1',
      global_name: `//compute.googleapis.com/projects/493820114375/zones/us-central1-b/instances/2042117736410938851`,
    },
    cost: 0.25,
    currency: 'USD',
    credits: [],
  };
  for (let at = day - 40 * 86_400_000; at < Date.now(); at += 3_600_000) lineItems.push(item(web, at, web.cost));

  const cpu = [
    {
      project,
      series: {
        metric: cpuTemplate['metric'],
        resource: cpuTemplate['resource'],
        metadata: cpuTemplate['metadata'],
        metricKind: 'GAUGE',
        valueType: 'DOUBLE',
      },
      points: Array.from({ length: 24 }, (_, h) => ({ at: day + h * 3_600_000, value: 0.97 + ((h * 7) % 3) / 100 })),
    },
    {
      // The web tier idles along: a second series, so the list has two pages.
      project,
      series: {
        metric: { type: 'compute.googleapis.com/instance/cpu/utilization', labels: { instance_name: 'web-1' } },
        resource: { type: 'gce_instance', labels: { project_id: project, instance_id: '2042117736410938851', zone: 'us-central1-b' } },
        metricKind: 'GAUGE',
        valueType: 'DOUBLE',
      },
      points: Array.from({ length: 24 }, (_, h) => ({ at: day + h * 3_600_000, value: 0.12 })),
    },
  ];

  const findingId = 'f3c1a9d27e5b4c8aa1b2c3d4e5f60718';
  const sourceId = '11645372911204563471';
  const eventTime = new Date(day + 2 * 3_600_000 + 10 * 60_000).toISOString();
  const finding = {
    finding: {
      name: `projects/${project}/sources/${sourceId}/locations/global/findings/${findingId}`,
      canonicalName: `projects/493820114375/sources/${sourceId}/locations/global/findings/${findingId}`,
      parent: `projects/${project}/sources/${sourceId}/locations/global`,
      resourceName: `//compute.googleapis.com/projects/${project}/zones/${zone}/instances/${vm}`,
      state: 'ACTIVE',
      category: 'Execution: Cryptocurrency Mining Hash Match',
      sourceProperties: {},
      eventTime,
      createTime: new Date(Date.parse(eventTime) + 90_000).toISOString(),
      severity: 'HIGH',
      mute: 'UNMUTED',
      findingClass: 'THREAT',
      mitreAttack: { primaryTactic: 'IMPACT', primaryTechniques: ['RESOURCE_HIJACKING'] },
      description: 'VM Threat Detection found memory hashes of a known cryptocurrency mining program on the instance.',
      processes: [
        {
          name: 'xmrig',
          binary: { path: '/tmp/.x/xmrig' },
          args: ['--donate-level=1', '-o', 'stratum+tcp://gulf.moneroocean.stream:10128'],
        },
      ],
    },
    resource: {
      name: `//compute.googleapis.com/projects/${project}/zones/${zone}/instances/${vm}`,
      displayName: vm,
      type: 'google.compute.Instance',
      cloudProvider: 'GOOGLE_CLOUD_PLATFORM',
      service: 'compute.googleapis.com',
      location: zone,
      gcpMetadata: { project: `//cloudresourcemanager.googleapis.com/projects/493820114375`, projectDisplayName: project },
    },
  };

  return {
    billingTable: GCP_SCENARIO.billingTable,
    lineItems,
    anomalies: anomalies.map((anomaly) => ({ billingAccount: GCP_SCENARIO.billingAccount, anomaly })),
    findings: [{ project, result: finding }],
    cpu,
    auditEntries: entries.map((entry) => ({ project: String((entry['logName'] as string).split('/')[1]), entry })),
  };
}
