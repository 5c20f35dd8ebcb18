import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  createVpcFlowLogsParser,
  isHeaderLine,
  parseVpcFlowLogs,
  VpcFlowLogReader,
} from '#src/connectors/network/aws-vpc-flow-logs.parser.js';
import { PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx = (query: Record<string, string | undefined> = {}): ParseContext => ({ receivedAt: new Date('2026-11-16T03:00:00Z'), query });
const text = (name: string) => readFixtureText(`network/aws-vpc-flow-logs/${name}`);
const json = <T = Record<string, any>>(name: string) => readFixture<T>(`network/aws-vpc-flow-logs/${name}`);
const strip = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);

function issuesOf(body: unknown, query: Record<string, string | undefined> = {}): ValidationIssue[] {
  try {
    parseVpcFlowLogs(body, ctx(query));
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

const S3_LINES = text('s3-custom-v5-stratum.log').split('\n');

describe('parseVpcFlowLogs', () => {
  it('ignores the documentation examples: SSH, RDP, NODATA and SKIPDATA records', () => {
    assert.deepEqual(parseVpcFlowLogs(text('default-format-docs-examples.log'), ctx()), { signals: [], ignored: 4 });
  });

  it('reads an S3 log file with a custom-format header, keeping only stratum flows', () => {
    const { signals, ignored } = parseVpcFlowLogs(text('s3-custom-v5-stratum.log'), ctx());
    assert.equal(ignored, 2, 'the HTTPS flow and the NODATA record');
    assert.equal(signals.length, 4);
    const [out, back, refused, probe] = signals as [Signal, Signal, Signal, Signal];
    const instance = {
      provider: 'aws',
      accountId: '111122223333',
      region: 'us-east-1',
      type: 'aws.ec2.instance',
      id: 'i-0a1b2c3d4e5f60001',
    };
    const eni = { ...instance, type: 'aws.ec2.network-interface', id: 'eni-0a1b2c3d4e5f60001' };
    assert.deepEqual(out, {
      source: 'aws.vpc-flow-logs',
      sourceId: '111122223333/eni-0a1b2c3d4e5f60001/6/10.0.1.25:51514/198.51.100.23:3333/1794795120',
      sourceVersion: '2026-11-16T02:13:00.000Z',
      kind: 'network',
      provider: 'aws',
      accountId: '111122223333',
      region: 'us-east-1',
      observedAt: '2026-11-16T02:12:00.000Z',
      observedUntil: '2026-11-16T02:13:00.000Z',
      severity: 'HIGH',
      title: 'i-0a1b2c3d4e5f60001 connected to 198.51.100.23:3333 over TCP, a stratum port',
      mining: true,
      resources: [instance, eni],
      principal: null,
      cost: null,
      attributes: {
        remoteAddress: '198.51.100.23',
        remotePort: 3333,
        localAddress: '10.0.1.25',
        localPort: 51514,
        protocol: 6,
        bytes: 412388,
        packets: 1843,
        action: 'ACCEPT',
        direction: 'egress',
        stratumPort: true,
        localStratumPort: false,
        poolAddress: false,
        techniques: ['T1496'],
        interfaceId: 'eni-0a1b2c3d4e5f60001',
        instanceId: 'i-0a1b2c3d4e5f60001',
        vpcId: 'vpc-0fe1d2c3b4a596870',
        subnetId: 'subnet-0123456789abcdef0',
        azId: 'use1-az4',
        tcpFlags: 19,
        trafficPath: '8',
        rejectReason: null,
      },
      raw: S3_LINES[1],
    });

    // The pool's answers (source port 3333) are the other direction of the same connection.
    assert.deepEqual(
      [
        back.attributes['direction'],
        back.attributes['remoteAddress'],
        back.attributes['remotePort'],
        back.attributes['localPort'],
        back.severity,
        back.mining,
      ],
      ['ingress', '198.51.100.23', 3333, 51514, 'HIGH', true],
    );
    assert.equal(back.title, 'i-0a1b2c3d4e5f60001 received TCP traffic from 198.51.100.23:3333, a stratum port');
    // A refused attempt still means a miner is running: it counts, lower.
    assert.deepEqual(
      [refused.severity, refused.mining, refused.attributes['action'], refused.attributes['remotePort']],
      ['LOW', true, 'REJECT', 14444],
    );
    assert.equal(refused.title, 'i-0a1b2c3d4e5f60001 connected to 192.0.2.44:14444 over TCP, a stratum port (rejected)');
    // Someone knocking on a stratum port here is no mining by this host.
    assert.deepEqual(
      [probe.severity, probe.mining, probe.attributes['stratumPort'], probe.attributes['localStratumPort'], probe.attributes['techniques']],
      ['INFO', false, false, true, []],
    );
    assert.equal(probe.title, '203.0.113.200:61000 reached stratum port 4444 on i-0a1b2c3d4e5f60001 over TCP (rejected)');
  });

  it('reads the same file as an array of lines, and in batches through the reader', () => {
    const whole = parseVpcFlowLogs(text('s3-custom-v5-stratum.log'), ctx());
    assert.deepEqual(parseVpcFlowLogs(S3_LINES, ctx()), whole);
    const reader = new VpcFlowLogReader(ctx());
    reader.pushLines(S3_LINES.slice(0, 3));
    reader.pushLines(S3_LINES.slice(3));
    assert.deepEqual(reader.finish(), whole);
  });

  it('tells header lines from records', () => {
    assert.equal(isHeaderLine(S3_LINES[0]!), true);
    assert.equal(isHeaderLine('srcaddr dstaddr srcport dstport'), true);
    assert.equal(isHeaderLine(S3_LINES[1]!), false);
    // A custom record of ids only is lower case and hyphenated too, but names no field.
    assert.equal(isHeaderLine('eni-0a1b2c3d vpc-0a1b2c3d i-0a1b2c3d'), false);
  });

  it('reads a CloudWatch Logs subscription message, taking the account from owner and the ENI from the stream', () => {
    const message = json('cloudwatch-subscription-default-format.json');
    const { signals, ignored } = parseVpcFlowLogs(message, ctx({ region: 'us-east-1' }));
    assert.equal(ignored, 2, 'the DNS and NTP flows');
    assert.deepEqual(
      signals.map((s) => [s.sourceId, s.region, s.resources.map((r) => `${r.type} ${r.id}`), s.attributes['remotePort'], s.severity]),
      [
        [
          '111122223333/eni-0b2c3d4e5f6a70002/6/10.0.2.14:40022/198.51.100.23:3333/1794795600',
          'us-east-1',
          ['aws.ec2.network-interface eni-0b2c3d4e5f6a70002'],
          3333,
          'HIGH',
        ],
      ],
    );
    assert.deepEqual(signals[0]!.raw, message['logEvents'][0]);
  });

  it('reads the same message as a Lambda subscription receives it (awslogs.data, gzip + base64)', () => {
    const message = json('cloudwatch-subscription-default-format.json');
    const lambda = { awslogs: { data: gzipSync(JSON.stringify(message)).toString('base64') } };
    assert.deepEqual(
      strip(parseVpcFlowLogs(lambda, ctx({ region: 'us-east-1' })).signals),
      strip(parseVpcFlowLogs(message, ctx({ region: 'us-east-1' })).signals),
    );
  });

  it('reads a Firehose HTTP endpoint request: gzip subscription messages, control messages and extracted lines', () => {
    const { signals, ignored } = parseVpcFlowLogs(json('firehose-http-request.json'), ctx());
    assert.equal(ignored, 3);
    assert.deepEqual(
      signals.map((s) => [s.accountId, s.attributes['interfaceId'], s.attributes['remoteAddress'], s.attributes['remotePort']]),
      [
        ['111122223333', 'eni-0b2c3d4e5f6a70002', '198.51.100.23', 3333],
        ['111122223333', 'eni-0c3d4e5f6a7b80003', '203.0.113.61', 14433],
      ],
    );
  });

  it('reads FilterLogEvents output and record objects in any key spelling', () => {
    const events = {
      events: [
        {
          logStreamName: 'eni-0b2c3d4e5f6a70002-all',
          timestamp: 1794795662000,
          message: json('cloudwatch-subscription-default-format.json')['logEvents'][0].message,
          ingestionTime: 1794795662500,
          eventId: '3871',
        },
      ],
    };
    assert.equal(parseVpcFlowLogs(events, ctx()).signals.length, 1);
    const objects = [
      {
        version: 2,
        account_id: '111122223333',
        interface_id: 'eni-0b2c3d4e5f6a70002',
        srcaddr: '10.0.2.14',
        dstaddr: '198.51.100.23',
        srcport: 40022,
        dstport: 3333,
        protocol: 6,
        packets: 310,
        bytes: 98211,
        start: 1794795600,
        end: 1794795660,
        action: 'ACCEPT',
        log_status: 'OK',
      },
      {
        accountId: '111122223333',
        interfaceId: 'eni-0b2c3d4e5f6a70002',
        srcaddr: '10.0.2.14',
        dstaddr: '10.0.0.2',
        srcport: 53012,
        dstport: 53,
        protocol: 17,
        start: 1794795600,
        end: 1794795660,
        action: 'ACCEPT',
        logStatus: 'OK',
      },
    ];
    const { signals, ignored } = parseVpcFlowLogs(objects, ctx());
    assert.equal(ignored, 1);
    assert.equal(signals[0]!.sourceId, '111122223333/eni-0b2c3d4e5f6a70002/6/10.0.2.14:40022/198.51.100.23:3333/1794795600');
    assert.deepEqual(signals[0]!.raw, objects[0]);
  });

  it('reads header-less custom records when the query names the format', () => {
    const line = '5 111122223333 i-0a1b2c3d4e5f60001 10.0.1.25 198.51.100.23 51514 3333 6 egress';
    const format = '${version} ${account-id} ${instance-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${flow-direction}';
    const { signals } = parseVpcFlowLogs([line], ctx({ format }));
    assert.deepEqual(
      signals.map((s) => [s.resources.map((r) => r.id), s.observedAt, s.attributes['direction'], s.attributes['bytes']]),
      // No start field: the time is when the request arrived.
      [[['i-0a1b2c3d4e5f60001'], '2026-11-16T03:00:00.000Z', 'egress', null]],
    );
    assert.deepEqual(issuesOf([line]), [
      {
        index: 0,
        field: '/0',
        message:
          'has 9 fields; a default-format record has 14. For a custom format send the header line first, or name the format as ?format=',
      },
    ]);
    assert.deepEqual(
      issuesOf([line], { format: '${version} $bad' }).map((i) => i.field),
      ['query.format', '/0'],
    );
  });

  it('matches remote addresses against a pool address list', () => {
    const parse = createVpcFlowLogsParser({ pools: new PoolAddressList(['203.0.113.0/24']) });
    const { signals, ignored } = parse(text('s3-custom-v5-stratum.log'), ctx());
    // The HTTPS flow to 203.0.113.77 is now a pool connection; the probe from 203.0.113.200 came from a pool address.
    assert.equal(ignored, 1);
    const https = signals.find((s) => s.attributes['remotePort'] === 443)!;
    assert.deepEqual(
      [https.attributes['poolAddress'], https.attributes['stratumPort'], https.mining, https.severity],
      [true, false, true, 'HIGH'],
    );
    assert.equal(https.title, 'i-0a1b2c3d4e5f60001 connected to 203.0.113.77:443 over TCP, a known pool address');
  });

  it('needs an account when the record has none', () => {
    const line = '5 - eni-0b2c3d4e5f6a70002 10.0.2.14 198.51.100.23 40022 3333 6 310 98211 1794795600 1794795660 ACCEPT OK';
    assert.deepEqual(issuesOf([line]), [
      { index: 0, field: '/0/account-id', message: 'is required: the record names no account; send ?accountId= with the body' },
    ]);
    assert.equal(parseVpcFlowLogs([line], ctx({ accountId: '111122223333' })).signals[0]!.accountId, '111122223333');
  });

  it('names every bad line and field, and rejects the whole body', () => {
    assert.deepEqual(issuesOf(text('malformed.log')), [
      { index: 1, field: '/1/dstport', message: 'must be a port number (0–65535), got "33x3"' },
      { index: 2, field: '/2/dstaddr', message: 'must be an IP address, got "198.51.100"' },
      {
        index: 3,
        field: '/3',
        message:
          'has 12 fields; a default-format record has 14. For a custom format send the header line first, or name the format as ?format=',
      },
      { index: 4, field: '/4/action', message: 'must be ACCEPT, REJECT or -, got "ALLOW"' },
    ]);
  });

  it('names bad deliveries by their pointer', () => {
    assert.deepEqual(issuesOf({ records: [{ data: 'not base64!' }, { data: Buffer.from([0x1f, 0x8b, 0x08, 0]).toString('base64') }] }), [
      { index: 0, field: '/records/0/data', message: 'is not valid base64' },
      { index: 1, field: '/records/1/data', message: 'is not valid gzip data' },
    ]);
    assert.deepEqual(
      issuesOf({ messageType: 'DATA_MESSAGE', owner: '111122223333', logEvents: [{ id: '1', timestamp: 1, message: 42 }] }),
      [{ index: 0, field: '/logEvents/0/message', message: 'must be a string' }],
    );
    assert.deepEqual(issuesOf(42), [{ index: null, field: '', message: 'expected flow log text lines or JSON, got number' }]);
    assert.deepEqual(
      issuesOf({ hello: 'world' }).map((i) => i.field),
      [''],
    );
  });
});
