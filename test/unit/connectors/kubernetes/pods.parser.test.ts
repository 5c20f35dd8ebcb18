import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseKubernetesPods } from '#src/connectors/kubernetes/pods.parser.js';
import { PayloadValidationError } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const query = { provider: 'aws', accountId: '121212121212', region: 'eu-west-1', cluster: 'payments-prod' };
const ctx = (q: Record<string, string | undefined> = query) => ({ receivedAt: new Date('2026-11-16T03:00:00Z'), query: q });

describe('parseKubernetesPods', () => {
  it('flags the miner pod with its node and cluster, and counts the other as ignored', () => {
    const { signals, ignored } = parseKubernetesPods(readFixture('kubernetes/pods-list-miner-and-normal.json'), ctx());
    assert.equal(ignored, 1);
    assert.equal(signals.length, 1);
    const [s] = signals as [(typeof signals)[0]];
    assert.equal(s.kind, 'workload');
    assert.equal(s.mining, true);
    assert.equal(s.accountId, '121212121212');
    assert.deepEqual(
      s.resources.map((r) => [r.type, r.id]),
      [
        ['k8s.pod', 'payments-prod/default/redis-cache-7d9f8b6c5-x2kqp'],
        ['k8s.node', 'payments-prod/ip-10-0-12-34.eu-west-1.compute.internal'],
        ['aws.eks.cluster', 'arn:aws:eks:eu-west-1:121212121212:cluster/payments-prod'],
      ],
    );
    const found = s.attributes['indicators'] as string[];
    assert.ok(found.some((i) => i.startsWith('command /usr/local/bin/xmrig')));
    assert.ok(found.includes('pool pool.supportxmr.com'));
    assert.ok(found.some((i) => i.includes('--donate-level')));
  });

  it('names the GKE and AKS cluster the way the other GCP and Azure sources do', () => {
    const gke = parseKubernetesPods(readFixture('kubernetes/pods-list-miner-and-normal.json'), ctx({ provider: 'gcp', accountId: 'acme-batch-prod', region: 'us-central1', cluster: 'batch' }));
    assert.equal(gke.signals[0]!.resources.at(-1)!.id, '//container.googleapis.com/projects/acme-batch-prod/locations/us-central1/clusters/batch');
    const aksId = '/subscriptions/6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-prod-01';
    const aks = parseKubernetesPods(readFixture('kubernetes/pods-list-miner-and-normal.json'), ctx({ provider: 'azure', accountId: 'sub', region: 'westeurope', cluster: aksId }));
    assert.deepEqual(aks.signals[0]!.resources.at(-1), { provider: 'azure', accountId: 'sub', region: 'westeurope', type: 'azure.aks.cluster', id: aksId });
  });

  it('names every missing query parameter, and bad pods by index and field', () => {
    assert.throws(
      () => parseKubernetesPods(readFixture('kubernetes/pods-list-miner-and-normal.json'), ctx({})),
      (e: unknown) => e instanceof PayloadValidationError && e.issues.map((i) => i.field).join() === 'query.provider,query.accountId,query.region,query.cluster',
    );
    const broken = readFixture<{ items: Array<{ metadata: Record<string, unknown> }> }>('kubernetes/pods-list-miner-and-normal.json');
    broken.items[1]!.metadata['creationTimestamp'] = 'XXXX-XX-XXTXX:XX:XXZ';
    assert.throws(
      () => parseKubernetesPods(broken, ctx()),
      (e: unknown) => e instanceof PayloadValidationError && e.issues[0]!.index === 1 && e.issues[0]!.field === '/items/1/metadata/creationTimestamp',
    );
  });

  it('throws nothing but PayloadValidationError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseKubernetesPods(value, ctx());
        } catch (error) {
          if (!(error instanceof PayloadValidationError)) throw error;
        }
      }),
      { numRuns: 500 },
    );
  });
});
