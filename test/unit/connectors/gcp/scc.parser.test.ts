import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';

import { parseScc, sccVersion } from '#src/connectors/gcp/scc.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2025-01-01T00:00:00Z'), query: {} };
// Fixtures are arbitrary cloud JSON that the tests reach into and mutate; typing every shape would add nothing.

type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`gcp/scc/${name}`);
const parse = (body: unknown) => parseScc(body, ctx);
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

/** A Pub/Sub push request carrying `payload` as its base64 data, as a push subscription POSTs it. */
function push(payload: unknown): Json {
  return {
    message: {
      attributes: {},
      data: Buffer.from(JSON.stringify(payload), 'utf8').toString('base64'),
      messageId: '11254687531649203',
      publishTime: '2024-06-13T02:30:01.733Z',
    },
    subscription: 'projects/acme-security/subscriptions/minewatch-scc-push',
  };
}

describe('parseScc', () => {
  it('turns a VM Threat Detection hash-match notification into a mining signal on its VM', () => {
    const notification = fixture('notification-hash-match-leveret.json');
    const { signals, ignored } = parse(notification);
    assert.equal(ignored, 0);
    assert.deepEqual(signals, [
      {
        source: 'gcp.scc',
        sourceId: 'organizations/123456789012/sources/1234567890123456789/findings/b9c8d7e6f5a4b3c2d1e0',
        sourceVersion: '2025-11-08T05:23:47.891Z#1',
        kind: 'security_finding',
        provider: 'gcp',
        accountId: 'production-project-12345',
        region: 'us-central1',
        observedAt: '2025-11-08T05:23:47.891Z',
        observedUntil: '2025-11-08T05:23:47.891Z',
        severity: 'CRITICAL',
        title: 'Execution: Cryptocurrency Mining Hash Match on web-server-prod-01',
        mining: true,
        resources: [
          {
            provider: 'gcp',
            accountId: 'production-project-12345',
            region: 'us-central1',
            type: 'gcp.compute.instance',
            id: '//compute.googleapis.com/projects/production-project-12345/zones/us-central1-a/instances/web-server-prod-01',
          },
        ],
        principal: {
          identity: 'attacker@external-domain.com',
          name: null,
          accessKeyId: null,
          sourceIp: '185.220.101.42',
          userAgent: 'curl/7.68.0',
        },
        cost: null,
        attributes: {
          findingType: 'Execution: Cryptocurrency Mining Hash Match',
          findingClass: 'THREAT',
          state: 'ACTIVE',
          mute: 'UNMUTED',
          indicatorDomains: ['pool.minexmr.com'],
          indicatorIps: ['185.220.101.42'],
          poolDomains: ['pool.minexmr.com'],
          minerIndicator: 'xmrig',
          techniques: ['T1496'],
          projectNumber: '783957204773',
          resourceType: 'google.cloud.compute.Instance',
          canonicalName:
            'projects/production-project-12345/sources/1234567890123456789/locations/us-central1-a/findings/b9c8d7e6f5a4b3c2d1e0',
          externalUri: 'https://console.cloud.google.com/security/command-center/findings?organizationId=123456789012',
          notificationConfig: 'organizations/123456789012/notificationConfigs/scc-critical-findings',
        },
        // The whole NotificationMessage: the resource context travels with the finding.
        raw: notification,
      },
    ]);
  });

  it('reads a bare finding like the same finding inside its notification', () => {
    const notification = fixture('notification-hash-match-leveret.json');
    const [bare] = withoutRaw(parse(notification['finding']).signals);
    const [wrapped] = withoutRaw(parse(notification).signals);
    // Without the notification's resource there is no display name, project number or resource type.
    assert.equal(bare!.title, 'Execution: Cryptocurrency Mining Hash Match on web-server-prod-01');
    assert.equal(bare!.accountId, wrapped!.accountId);
    assert.deepEqual(bare!.resources, wrapped!.resources);
    assert.equal(bare!.attributes['projectNumber'], null);
    assert.equal(bare!.attributes['notificationConfig'], null);
  });

  it('maps the shared SRA bad-IP notification: project id from externalUri, VM from instanceDetails, not mining', () => {
    const [signal] = parse(fixture('notification-c2-bad-ip-sra.json')).signals;
    assert.equal(signal!.accountId, 'test-project-15511551515');
    assert.equal(signal!.attributes['projectNumber'], '000000000000');
    assert.equal(signal!.mining, false);
    assert.equal(signal!.severity, 'INFO', 'the finding carries no severity and C2: Bad IP is no mining category');
    assert.equal(signal!.title, 'C2: Bad IP on bad-ip-caller');
    assert.deepEqual(signal!.resources, [
      {
        provider: 'gcp',
        accountId: 'test-project-15511551515',
        region: 'us-central1',
        type: 'gcp.compute.instance',
        id: '//compute.googleapis.com/projects/test-project-15511551515/zones/us-central1-a/instances/bad-ip-caller',
      },
    ]);
  });

  it('reads a v1 ListFindings response: an ETD cryptomining domain and a muted misconfiguration', () => {
    const { signals } = parse(fixture('list-findings-v1-bad-domain-and-open-firewall.json'));
    assert.deepEqual(
      signals.map((s) => [s.attributes['findingType'], s.mining, s.severity, s.accountId, s.region, s.attributes['mute']]),
      [
        ['Malware: Cryptomining Bad Domain', true, 'LOW', 'acme-ml-training', 'europe-west4', 'UNDEFINED'],
        ['OPEN_FIREWALL', false, 'HIGH', 'calcium-vial-280707', null, 'MUTED'],
      ],
    );
    const [domain, firewall] = signals;
    assert.deepEqual(domain!.attributes['poolDomains'], ['xmr-eu1.nanopool.org']);
    assert.deepEqual(domain!.attributes['techniques'], ['T1496']);
    assert.equal(domain!.attributes['projectNumber'], '493820114375');
    // The ETD finding names the VM twice (resourceName and instanceDetails) and the project once: one resource.
    assert.deepEqual(
      domain!.resources.map((r) => [r.type, r.id]),
      [['gcp.compute.instance', '//compute.googleapis.com/projects/acme-ml-training/zones/europe-west4-a/instances/train-gpu-07']],
    );
    assert.deepEqual(
      firewall!.resources.map((r) => [r.type, r.id]),
      [['gcp.compute.firewall', '//compute.googleapis.com/projects/calcium-vial-280707/global/firewalls/3199326669616479704']],
    );
    assert.equal(firewall!.observedAt, '2021-07-20T08:33:25.343Z', 'created long before its latest event');
    assert.equal(firewall!.observedUntil, '2022-07-19T07:44:38.374Z');
  });

  it('reads a v2 ListFindings response: Cloud Run miner image and a GKE cluster named by project number', () => {
    const { signals } = parse(fixture('list-findings-v2-cloud-run-and-gke.json'));
    const [run, gke] = signals;
    assert.deepEqual(withoutRaw([run!])[0], {
      source: 'gcp.scc',
      sourceId: 'organizations/688851828130/sources/10254798010023864080/locations/global/findings/a41f7d0c39e24b6f8d05c1e7b2a9f318',
      sourceVersion: '2025-03-02T11:41:09.512Z#1',
      kind: 'security_finding',
      provider: 'gcp',
      accountId: 'acme-batch-prod',
      region: 'us-central1',
      observedAt: '2025-03-02T11:41:09.512Z',
      observedUntil: '2025-03-02T11:41:09.512Z',
      severity: 'HIGH',
      title: 'Execution: Cryptomining Docker Image on thumbnailer',
      mining: true,
      resources: [
        {
          provider: 'gcp',
          accountId: 'acme-batch-prod',
          region: 'us-central1',
          type: 'gcp.run.service',
          id: '//run.googleapis.com/projects/acme-batch-prod/locations/us-central1/services/thumbnailer',
        },
      ],
      principal: {
        identity: 'ci-deployer@acme-batch-prod.iam.gserviceaccount.com',
        name: null,
        accessKeyId: '9a3c1f64e2b7d85c0e4f1a2b3c4d5e6f7a8b9c0d',
        sourceIp: '203.0.113.77',
        userAgent: 'google-cloud-sdk gcloud/512.0.0 command/gcloud.run.deploy',
      },
      cost: null,
      attributes: {
        findingType: 'Execution: Cryptomining Docker Image',
        findingClass: 'THREAT',
        state: 'ACTIVE',
        mute: 'UNMUTED',
        indicatorDomains: [],
        indicatorIps: [],
        poolDomains: [],
        minerIndicator: 'docker.io/xmrig/xmrig:latest',
        techniques: ['T1496', 'T1059'],
        projectNumber: '271828182845',
        resourceType: 'run.googleapis.com/Service',
        canonicalName: 'projects/271828182845/sources/10254798010023864080/locations/global/findings/a41f7d0c39e24b6f8d05c1e7b2a9f318',
        externalUri: null,
        notificationConfig: null,
      },
    });
    // zones/ in the older GKE name becomes locations/, and the project number the project id.
    assert.deepEqual(
      gke!.resources.map((r) => [r.type, r.id, r.accountId]),
      [
        [
          'gcp.gke.cluster',
          '//container.googleapis.com/projects/acme-batch-prod/locations/us-central1-c/clusters/batch',
          'acme-batch-prod',
        ],
      ],
    );
    assert.equal(gke!.attributes['state'], 'INACTIVE');
    assert.equal(gke!.sourceVersion, '2025-03-02T12:10:00.000Z#2');
  });

  it('decodes the Pub/Sub push envelope; a later state change of the finding compares greater', () => {
    const envelope = fixture('pubsub-push-bad-domain-inactive.json');
    const [pushed] = parse(envelope).signals;
    const [listed] = parse(fixture('list-findings-v1-bad-domain-and-open-firewall.json')).signals;
    assert.equal(pushed!.sourceId, listed!.sourceId);
    assert.equal(pushed!.attributes['state'], 'INACTIVE');
    assert.ok(pushed!.sourceVersion > listed!.sourceVersion);
    assert.equal(pushed!.attributes['notificationConfig'], 'organizations/595779152576/notificationConfigs/minewatch-threats');
    // raw is the decoded NotificationMessage, which also reads the same on its own.
    assert.deepEqual(pushed!.raw, fixture('notification-bad-domain-inactive.json'));
    assert.deepEqual(withoutRaw(parse(fixture('notification-bad-domain-inactive.json')).signals), withoutRaw([pushed!]));
    // An array of push requests (a replay) and URL-safe base64 read the same.
    const urlSafe = {
      ...envelope,
      message: { ...envelope['message'], data: Buffer.from(Buffer.from(envelope['message']['data'], 'base64')).toString('base64url') },
    };
    assert.deepEqual(withoutRaw(parse([envelope, urlSafe]).signals), withoutRaw([pushed!, pushed!]));
  });

  it('orders versions by event time, then by state', () => {
    const at = new Date('2024-06-13T00:00:00Z');
    assert.equal(sccVersion(at, 'ACTIVE'), '2024-06-13T00:00:00.000Z#1');
    assert.ok(sccVersion(at, 'INACTIVE') > sccVersion(at, 'ACTIVE'));
    assert.ok(sccVersion(new Date('2024-06-13T00:00:01Z'), 'ACTIVE') > sccVersion(at, 'INACTIVE'));
  });

  it('calls a finding of another category mining when it names a pool domain or a miner process', () => {
    const finding = structuredClone(fixture('notification-c2-bad-ip-sra.json')['finding']);
    finding.category = 'Malware: Bad Domain';
    finding.indicator = { domains: ['gulf.moneroocean.stream'] };
    assert.equal(parse(finding).signals[0]!.mining, true);
    const process = {
      ...fixture('notification-c2-bad-ip-sra.json')['finding'],
      category: 'Execution: Added Malicious Binary Executed',
      processes: [{ binary: { path: '/tmp/kdevtmpfsi' }, args: ['/tmp/kdevtmpfsi', '-o', 'stratum+tcp://pool.example:3333'] }],
    };
    const [signal] = parse(process).signals;
    assert.equal(signal!.mining, true);
    assert.equal(signal!.attributes['minerIndicator'], '/tmp/kdevtmpfsi -o stratum+tcp://pool.example:3333');
    assert.deepEqual(signal!.attributes['techniques'], ['T1496']);
  });

  it('names every bad finding of a ListFindings response by index and pointer', () => {
    assert.deepEqual(issuesOf(fixture('list-findings-malformed.json')), [
      { index: 1, field: '/listFindingsResults/1/finding/category', message: 'is required' },
      {
        index: 1,
        field: '/listFindingsResults/1/finding/eventTime',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 1, field: '/listFindingsResults/1/finding/indicator/ipAddresses', message: 'must be an array of strings' },
      { index: 2, field: '/listFindingsResults/2/finding', message: 'must be an object' },
    ]);
  });

  it('reports bad base64 or JSON in a push request at /message/data, and fields inside below it', () => {
    const envelope = fixture('pubsub-push-bad-domain-inactive.json');
    const bad = (data: unknown) => ({ ...envelope, message: { ...envelope['message'], data } });
    assert.deepEqual(issuesOf(bad('not base64!')), [{ index: 0, field: '/message/data', message: 'is not valid base64' }]);
    assert.deepEqual(issuesOf([envelope, bad(Buffer.from('{"finding": ').toString('base64'))]), [
      { index: 1, field: '/1/message/data', message: 'does not decode to JSON (base64 of a UTF-8 JSON document expected)' },
    ]);
    assert.deepEqual(issuesOf(bad(Buffer.from('[1,2]').toString('base64'))), [
      { index: 0, field: '/message/data', message: 'must decode to a JSON object' },
    ]);
    assert.deepEqual(issuesOf(bad('')), [{ index: 0, field: '/message/data', message: 'is required: the message carries no data' }]);
    const notification = fixture('notification-bad-domain-inactive.json');
    notification['finding']['eventTime'] = 'yesterday';
    assert.deepEqual(
      issuesOf(push(notification)).map((i) => i.field),
      ['/message/data/finding/eventTime'],
    );
  });

  it('takes a project display name for the project id only when it looks like one', () => {
    const finding = {
      name: 'organizations/1/sources/2/findings/3',
      resourceName: '//compute.googleapis.com/projects/493820114375/zones/europe-west4-a/instances/train-gpu-07',
      category: 'Malware: Cryptomining Bad IP',
      eventTime: '2024-06-13T00:00:00Z',
    };
    const [named] = parse({ finding, resource: { project_display_name: 'acme-ml-training' } }).signals;
    assert.equal(named!.accountId, 'acme-ml-training');
    assert.equal(named!.resources[0]!.id, '//compute.googleapis.com/projects/acme-ml-training/zones/europe-west4-a/instances/train-gpu-07');
    const [numbered] = parse({ finding, resource: { project_display_name: 'ACME ML Training' } }).signals;
    assert.equal(numbered!.accountId, '493820114375');
  });

  it('rejects a finding that names no project, and bodies that are no findings', () => {
    const finding = {
      name: 'organizations/1/sources/2/findings/3',
      parent: 'organizations/1/sources/2',
      category: 'Malware: Cryptomining Bad IP',
      eventTime: '2024-06-13T00:00:00Z',
    };
    assert.deepEqual(issuesOf([finding]), [
      {
        index: 0,
        field: '/0/resourceName',
        message: 'names no project (resourceName, resource.projectDisplayName or a project-level parent)',
      },
    ]);
    assert.deepEqual(issuesOf('finding'), [{ index: null, field: '', message: 'expected a JSON object or array, got string' }]);
    assert.deepEqual(issuesOf({ listFindingsResults: {} }), [
      { index: null, field: '/listFindingsResults', message: 'must be an array, got object' },
    ]);
    assert.deepEqual(issuesOf([42]), [{ index: 0, field: '/0', message: 'an SCC finding must be a JSON object' }]);
    assert.deepEqual(parse({ listFindingsResults: [], readTime: '2024-06-13T00:05:00Z', totalSize: 0 }), { signals: [], ignored: 0 });
  });
});
