import { readFixture, readFixtureText } from '../support/fixtures.js';
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
    description: 'A leaked service-account key inserts A100/T4 VMs in three regions; Security Command Center reports a cryptomining hash match on one; CPU pinned.',
    steps: [
      { source: 'gcp.audit-log', body: readFixture('gcp/audit-log/entries-list-leaked-key-gpu-inserts.json') },
      { source: 'gcp.scc', body: finding },
      { source: 'gcp.monitoring', body: readFixture('gcp/monitoring/timeseries-list-cpu-gpu-high.json') },
    ],
    campaigns: [{ name: 'GPU VMs from a leaked key', account: PROJECT, minSeverity: 'HIGH' }],
  };
})();

/** Cloud Run: a job deployed with a miner image, flagged by Cloud Run threat detection. */
export const gcpCloudRunMiner: Scenario = {
  name: 'gcp-cloud-run-miner',
  description: 'A Cloud Run job runs xmrig (audit log via Pub/Sub push) and SCC reports the Cloud Run cryptomining finding.',
  steps: [
    { source: 'gcp.audit-log', body: readFixture('gcp/audit-log/pubsub-push-cloud-run-xmrig.json') },
    { source: 'gcp.scc', body: readFixture('gcp/scc/list-findings-v2-cloud-run-and-gke.json') },
  ],
  campaigns: [],
};

export const gcpScenarios: Scenario[] = [gcpVmHashMatch];
