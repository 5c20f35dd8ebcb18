import { readFixture, readFixtureText } from '../support/fixtures.js';
import { gcpDetailedExport, wobble } from './builders/cost.js';
import type { Scenario } from './scenario.js';

/**
 * GCP scenarios assembled from the real-shaped fixtures in test/fixtures/gcp (their READMEs name
 * the public sources), re-pointed at one project and one time line by plain text replacement.
 */
function retarget(text: string, replacements: Array<[string | RegExp, string]>): unknown {
  let out = text;
  for (const [from, to] of replacements) out = typeof from === 'string' ? out.replaceAll(from, to) : out.replace(from, to);
  return JSON.parse(out);
}

const PROJECT = 'acme-ml-training';

/** A stolen service-account key creates GPU VMs in three regions; SCC sees a miner's hash on one. */
export const gcpVmHashMatch: Scenario = (() => {
  const finding = retarget(readFixtureText('gcp/scc/notification-hash-match-leveret.json'), [
    ['production-project-12345', PROJECT],
    ['web-server-prod-01', 'train-a100-01'],
    ['2025-11-08T05:23:47.891Z', '2024-06-13T00:41:12.000Z'],
    ['2025-11-08T05:23:52.234Z', '2024-06-13T00:41:15.000Z'],
  ]);
  return {
    name: 'gcp-vm-hash-match',
    description:
      'A leaked service-account key inserts A100/T4 VMs in three regions; Security Command Center reports a cryptomining hash match on one; CPU pinned.',
    steps: [
      { source: 'gcp.audit-log', body: readFixture('gcp/audit-log/entries-list-leaked-key-gpu-inserts.json') },
      { source: 'gcp.scc', body: finding },
      { source: 'gcp.monitoring', body: readFixture('gcp/monitoring/timeseries-list-cpu-gpu-high.json') },
      {
        source: 'gcp.billing',
        note: 'the detailed billing export a day later: five weeks of one n2 API server, then the A100 VM from midnight of the 13th',
        body: gcpDetailedExport('01A2B3-C4D5E6-F7A8B9', '2024-05-06', '2024-06-13', [
          {
            project: { id: PROJECT, number: '493820114375', name: 'ACME ML training' },
            sku: { id: 'CF4E-A0C7-E3BF', description: 'N2 Instance Core running in Americas' },
            zone: 'us-central1-a',
            resource: {
              name: 'api-server-01',
              global_name: '//compute.googleapis.com/projects/493820114375/zones/us-central1-a/instances/4410239857712234001',
            },
            hourly: (_h, i) => 0.1942 * wobble(i),
          },
          {
            project: { id: PROJECT, number: '493820114375', name: 'ACME ML training' },
            sku: { id: '7B36-5A1A-2CFA', description: 'Nvidia Tesla A100 GPU running in Americas' },
            zone: 'us-central1-a',
            resource: {
              name: 'train-a100-01',
              global_name: '//compute.googleapis.com/projects/493820114375/zones/us-central1-a/instances/6837514009281146213',
            },
            hourly: (h) => (h.toISOString().startsWith('2024-06-13') ? 23.468 + 3.0336 : null),
          },
        ]),
      },
    ],
    // The detector's impact: a day of the A100 VM (24 × 26.50) over Compute Engine's usual spend in us-central1.
    campaigns: [{ name: 'GPU VMs from a leaked key', account: PROJECT, minSeverity: 'HIGH', cost: 636 }],
  };
})();

/** One project hit twice: a Cloud Run service with a miner image and a GKE cluster talking to a pool. */
export const gcpCloudRunAndGke: Scenario = {
  name: 'gcp-cloud-run-and-gke',
  description: 'SCC: Execution: Cryptomining Docker Image on Cloud Run and Malware: Cryptomining Bad IP on GKE, same project, same hour.',
  steps: [{ source: 'gcp.scc', body: readFixture('gcp/scc/list-findings-v2-cloud-run-and-gke.json') }],
  campaigns: [{ name: 'Cloud Run and GKE miners', account: 'acme-batch-prod', minSeverity: 'HIGH' }],
};

/** A miner deployed as a Cloud Run service (audit log delivered by Pub/Sub push): the command line names xmrig. */
export const gcpCloudRunDeploy: Scenario = {
  name: 'gcp-cloud-run-xmrig-deploy',
  description:
    'A Cloud Run deploy whose container runs xmrig, seen in the audit log alone (no SCC finding yet): the command line is the detection.',
  steps: [{ source: 'gcp.audit-log', body: readFixture('gcp/audit-log/pubsub-push-cloud-run-xmrig.json') }],
  campaigns: [{ name: 'xmrig on Cloud Run', account: PROJECT, minSeverity: 'MEDIUM' }],
};

export const gcpScenarios: Scenario[] = [gcpVmHashMatch, gcpCloudRunAndGke, gcpCloudRunDeploy];
