import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';

import { parseGcpVpcFlowLogs } from '#src/connectors/network/gcp-vpc-flow-logs.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2026-11-16T03:00:00Z'), query: {} };
const parse = (body: unknown) => parseGcpVpcFlowLogs(body, ctx);
const fixture = (name: string) => readFixture<Record<string, any>>(`network/gcp-vpc-flow-logs/${name}`);
const strip = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

const VM = '//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-a/instances/batch-worker-7';

describe('parseGcpVpcFlowLogs', () => {
  it('ignores ordinary flows (entries captured by Elastic, as NDJSON)', () => {
    const lines = readFixtureText('network/gcp-vpc-flow-logs/entries-elastic-sample.ndjson')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(parse(lines), { signals: [], ignored: 4 });
  });

  it('reads an entries.list response: both reports of a stratum connection, ignoring HTTPS and a syslog entry', () => {
    const body = fixture('entries-list-stratum.json');
    const { signals, ignored } = parse(body);
    assert.equal(ignored, 2);
    const resource = { provider: 'gcp', accountId: 'acme-ml-training', region: 'us-central1', type: 'gcp.compute.instance', id: VM };
    assert.deepEqual(signals[0], {
      source: 'gcp.vpc-flow-logs',
      sourceId: 'acme-ml-training/batch-worker-7/SRC/6/10.128.0.7:41872/203.0.113.45:3333/2026-11-16T02:12:00.104922381Z',
      sourceVersion: '2026-11-16T02:12:59.812Z',
      kind: 'network',
      provider: 'gcp',
      accountId: 'acme-ml-training',
      region: 'us-central1',
      observedAt: '2026-11-16T02:12:00.104Z',
      observedUntil: '2026-11-16T02:12:59.812Z',
      // rtt_msec was measured, so the pool answered: the connection went through.
      severity: 'HIGH',
      title: 'batch-worker-7 connected to 203.0.113.45:3333 over TCP, a stratum port',
      mining: true,
      resources: [resource],
      principal: null,
      cost: null,
      attributes: {
        remoteAddress: '203.0.113.45',
        remotePort: 3333,
        localAddress: '10.128.0.7',
        localPort: 41872,
        protocol: 6,
        bytes: 52311,
        packets: 212,
        action: 'ACCEPT',
        direction: 'egress',
        stratumPort: true,
        localStratumPort: false,
        poolAddress: false,
        techniques: ['T1496'],
        reporter: 'SRC',
        vmName: 'batch-worker-7',
        subnetwork: 'batch',
        vpc: 'ml-vpc',
        insertId: '1x7q2m8f4k9aa',
      },
      raw: body['entries'][0],
    });
    assert.deepEqual(
      [
        signals[1]!.attributes['reporter'],
        signals[1]!.attributes['direction'],
        signals[1]!.attributes['remotePort'],
        signals[1]!.attributes['bytes'],
        signals[1]!.resources[0]!.id,
      ],
      ['DEST', 'ingress', 3333, 1398420, VM],
    );
  });

  it('reports an egress entry without rtt_msec as of unknown outcome', () => {
    const entry = fixture('entries-list-stratum.json')['entries'][0];
    delete entry.jsonPayload.rtt_msec;
    const [signal] = parse(entry).signals;
    assert.deepEqual([signal!.attributes['action'], signal!.severity], [null, 'MEDIUM']);
  });

  it('ignores Firewall Rules Logging entries, which carry a connection too', () => {
    const entry = fixture('entries-list-stratum.json')['entries'][0];
    entry.logName = 'projects/acme-ml-training/logs/compute.googleapis.com%2Ffirewall';
    assert.deepEqual(parse(entry), { signals: [], ignored: 1 });
  });

  it('reads a log sink Pub/Sub push request', () => {
    const push = fixture('pubsub-push-gke-node-stratum.json');
    const { signals, ignored } = parse(push);
    assert.equal(ignored, 0);
    assert.deepEqual(
      strip(signals).map((s) => [
        s.accountId,
        s.region,
        s.resources.map((r) => r.id),
        s.attributes['remoteAddress'],
        s.attributes['remotePort'],
      ]),
      [
        [
          'acme-ml-training',
          'us-central1',
          ['//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-b/instances/gke-batch-default-pool-1a2b3c4d-x7k2'],
          '198.51.100.61',
          14444,
        ],
      ],
    );
    const decoded = JSON.parse(Buffer.from(push['message'].data, 'base64').toString('utf8')) as unknown;
    assert.deepEqual(signals[0]!.raw, decoded);
    assert.deepEqual(strip(parse(decoded).signals), strip(signals));
  });

  it('names every bad entry and field, and rejects the whole body', () => {
    assert.deepEqual(issuesOf(fixture('entries-list-malformed.json')), [
      { index: 1, field: '/entries/1/jsonPayload/connection/src_ip', message: 'must be an IP address' },
      { index: 2, field: '/entries/2/jsonPayload/connection/dest_port', message: 'must be a port number (0–65535)' },
      { index: 2, field: '/entries/2/jsonPayload/bytes_sent', message: 'must be a whole number (or an int64 string of one)' },
      { index: 3, field: '/entries/3/jsonPayload/connection', message: 'is required' },
    ]);
    assert.deepEqual(issuesOf({ message: { data: 'e30=!' }, subscription: 's' }), [
      { index: 0, field: '/message/data', message: 'is not valid base64' },
    ]);
    assert.deepEqual(issuesOf([1]), [{ index: 0, field: '/0', message: 'a log entry must be a JSON object' }]);
  });
});
