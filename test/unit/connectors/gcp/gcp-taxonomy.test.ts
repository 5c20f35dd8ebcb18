import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  attackTechniqueIds,
  classifySccCategory,
  COST_INCURRING_METHODS,
  normalizeMethodName,
  SCC_MINING_CATEGORIES,
  skuBillsGpu,
} from '#src/connectors/gcp/gcp-taxonomy.js';
import { isPubSubPush } from '#src/connectors/gcp/pubsub.js';
import { regionOf, resourceFromName } from '#src/connectors/gcp/resource-names.js';

describe('GCP taxonomy', () => {
  it('knows the documented SCC mining categories and their default severities', () => {
    assert.deepEqual(
      Object.entries(SCC_MINING_CATEGORIES).map(([category, c]) => [category, c.severity]),
      [
        ['Execution: Cryptocurrency Mining Hash Match', 'HIGH'],
        ['Execution: Cryptocurrency Mining YARA Rule', 'HIGH'],
        ['Execution: Cryptocurrency Mining Combined Detection', 'HIGH'],
        ['Malware: Cryptomining Bad Domain', 'LOW'],
        ['Malware: Cryptomining Bad IP', 'LOW'],
        ['Execution: Cryptomining Docker Image', 'HIGH'],
        ['Impact: Cryptomining Commands', 'HIGH'],
      ],
    );
    assert.deepEqual(classifySccCategory('malware: cryptomining bad ip'), { mining: true, severity: 'LOW' });
    assert.deepEqual(classifySccCategory('CRYPTOMINING_POOL_DOMAIN'), { mining: true, severity: 'LOW' });
    // A category added later is still recognised by its name, without a default severity.
    assert.deepEqual(classifySccCategory('Execution: Cryptomining Kubernetes Pod'), { mining: true });
    assert.deepEqual(classifySccCategory('Malware: Bad Domain'), { mining: false });
    assert.deepEqual(classifySccCategory('OPEN_FIREWALL'), { mining: false });
  });

  it('turns SCC technique names and ATT&CK URLs into ids, without repeats or guesses', () => {
    assert.deepEqual(
      attackTechniqueIds(['RESOURCE_HIJACKING', 'UNIX_SHELL', 'T1496', 'https://attack.mitre.org/techniques/T1059/004/', 'SOMETHING_NEW']),
      ['T1496', 'T1059.004'],
    );
  });

  it('normalizes audit method names across API versions', () => {
    assert.equal(normalizeMethodName('beta.compute.instances.insert'), 'compute.instances.insert');
    assert.equal(
      normalizeMethodName('google.container.v1beta1.ClusterManager.CreateNodePool'),
      'google.container.ClusterManager.CreateNodePool',
    );
    assert.equal(normalizeMethodName('google.cloud.run.v1.Services.ReplaceService'), 'google.cloud.run.Services.ReplaceService');
    assert.ok(COST_INCURRING_METHODS.has(normalizeMethodName('v1.compute.regionInstanceGroupManagers.resize')));
    assert.ok(!COST_INCURRING_METHODS.has(normalizeMethodName('v1.compute.instances.delete')));
  });

  it('recognises GPU SKUs', () => {
    assert.ok(skuBillsGpu('Nvidia Tesla T4 GPU running in Americas'));
    assert.ok(skuBillsGpu('A2 Instance Core running in Americas'));
    assert.ok(skuBillsGpu('G2 Instance Ram running in EMEA'));
    assert.ok(!skuBillsGpu('N2 Instance Core running in Americas'));
    assert.ok(!skuBillsGpu('Analysis'));
  });
});

describe('GCP resource names', () => {
  it('reads regions from zones and regions only', () => {
    assert.deepEqual(['us-central1-a', 'europe-west4', 'global', 'us', 'US', 'northamerica-northeast2-b', null].map(regionOf), [
      'us-central1',
      'europe-west4',
      null,
      null,
      null,
      'northamerica-northeast2',
      null,
    ]);
  });

  it('gives each resource kind one canonical id', () => {
    const cases: [string, { service?: string; project?: string }, [string, string] | null][] = [
      [
        '//compute.googleapis.com/projects/p-1/zones/us-east1-b/instances/vm',
        {},
        ['gcp.compute.instance', '//compute.googleapis.com/projects/p-1/zones/us-east1-b/instances/vm'],
      ],
      [
        'projects/123/zones/us-east1-b/instances/vm',
        { service: 'compute.googleapis.com', project: 'p-1' },
        ['gcp.compute.instance', '//compute.googleapis.com/projects/p-1/zones/us-east1-b/instances/vm'],
      ],
      [
        '//container.googleapis.com/projects/p-1/zones/us-east1-b/clusters/c/k8s/namespaces/default',
        {},
        ['gcp.gke.cluster', '//container.googleapis.com/projects/p-1/locations/us-east1-b/clusters/c'],
      ],
      [
        'projects/p-1/locations/us-east1/clusters/c/nodePools/gpu',
        { service: 'container.googleapis.com' },
        ['gcp.gke.cluster', '//container.googleapis.com/projects/p-1/locations/us-east1/clusters/c'],
      ],
      [
        '//run.googleapis.com/projects/p-1/locations/us-east1/jobs/j',
        {},
        ['gcp.run.job', '//run.googleapis.com/projects/p-1/locations/us-east1/jobs/j'],
      ],
      [
        'projects/p-1/zones/us-east1-b/instanceGroupManagers/mig',
        { service: 'compute.googleapis.com' },
        ['gcp.compute.instance-group-manager', '//compute.googleapis.com/projects/p-1/zones/us-east1-b/instanceGroupManagers/mig'],
      ],
      ['//cloudresourcemanager.googleapis.com/projects/123', {}, null],
      ['projects/p-1/zones/us-east1-b/instances', { service: 'compute.googleapis.com' }, null],
      ['//storage.googleapis.com/my-bucket', {}, null],
    ];
    for (const [name, options, expected] of cases) {
      const named = resourceFromName(name, options);
      assert.deepEqual(named ? [named.type, named.id] : null, expected, name);
    }
  });

  it('recognises Pub/Sub push requests only with a message and a subscription', () => {
    assert.ok(isPubSubPush({ message: { data: 'e30=', messageId: '1' }, subscription: 'projects/p/subscriptions/s' }));
    assert.ok(!isPubSubPush({ message: { data: 'e30=' } }));
    assert.ok(!isPubSubPush({ message: 'hello', subscription: 'projects/p/subscriptions/s' }));
  });
});
