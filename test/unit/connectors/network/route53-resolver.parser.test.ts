import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { parseRoute53ResolverLogs, queryDomain } from '#src/connectors/network/route53-resolver.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2026-11-16T03:00:00Z'), query: {} };
const parse = (body: unknown) => parseRoute53ResolverLogs(body, ctx);
const ndjson = (name: string): Record<string, any>[] =>
  readFixtureText(`network/route53-resolver/${name}`)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
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

describe('parseRoute53ResolverLogs', () => {
  it('ignores the documentation example (a reverse lookup)', () => {
    assert.deepEqual(parse(readFixture('network/route53-resolver/query-log-docs-example.json')), { signals: [], ignored: 1 });
  });

  it('keeps pool-domain queries of an S3 delivery file (NDJSON) and counts the rest', () => {
    const lines = ndjson('s3-delivery-pool-and-normal.ndjson');
    const { signals, ignored } = parse(lines);
    assert.equal(ignored, 2, 'the EC2 endpoint and the look-alike notnanopool.org');
    assert.deepEqual(signals[0], {
      source: 'aws.route53-resolver',
      sourceId: '111122223333/vpc-0fe1d2c3b4a596870/10.0.1.25:41877/2026-11-16T02:11:58Z/pool.supportxmr.com/A',
      sourceVersion: '2026-11-16T02:11:58.000Z',
      kind: 'network',
      provider: 'aws',
      accountId: '111122223333',
      region: 'us-east-1',
      observedAt: '2026-11-16T02:11:58.000Z',
      observedUntil: '2026-11-16T02:11:58.000Z',
      severity: 'HIGH',
      title: 'i-0a1b2c3d4e5f60001 looked up mining pool domain pool.supportxmr.com',
      mining: true,
      resources: [{ provider: 'aws', accountId: '111122223333', region: 'us-east-1', type: 'aws.ec2.instance', id: 'i-0a1b2c3d4e5f60001' }],
      principal: null,
      cost: null,
      attributes: {
        domain: 'pool.supportxmr.com',
        queryType: 'A',
        rcode: 'NOERROR',
        answers: ['198.51.100.23', '198.51.100.24'],
        poolDomain: true,
        sourceAddress: '10.0.1.25',
        vpcId: 'vpc-0fe1d2c3b4a596870',
        transport: 'UDP',
        resolverEndpoint: null,
        firewallAction: null,
        techniques: ['T1496'],
      },
      raw: lines[0],
    });
    assert.deepEqual(
      signals.slice(1).map((s) => [s.attributes['domain'], s.attributes['queryType'], s.attributes['answers'], s.severity, s.title]),
      [
        ['gulf.moneroocean.stream', 'AAAA', [], 'HIGH', 'i-0a1b2c3d4e5f60001 looked up mining pool domain gulf.moneroocean.stream'],
        ['xmr.2miners.com', 'A', [], 'LOW', 'i-0d4e5f6a7b8c90004 looked up mining pool domain xmr.2miners.com (blocked by DNS Firewall)'],
      ],
    );
  });

  it('reads one record alone', () => {
    const [first] = ndjson('s3-delivery-pool-and-normal.ndjson');
    assert.deepEqual(strip(parse(first).signals), strip(parse([first]).signals));
  });

  it('reads records delivered through a CloudWatch Logs subscription, bare or as the Lambda event', () => {
    const message = readFixture<Record<string, any>>('network/route53-resolver/cloudwatch-subscription-pool.json');
    const { signals, ignored } = parse(message);
    assert.equal(ignored, 1);
    assert.deepEqual(
      signals.map((s) => [s.accountId, s.region, s.attributes['domain'], s.attributes['answers'], s.resources[0]!.id]),
      [['444455556666', 'eu-west-1', 'rx.unmineable.com', ['192.0.2.80'], 'i-0e5f6a7b8c9d00005']],
    );
    assert.deepEqual(signals[0]!.raw, message['logEvents'][0]);
    const lambda = { awslogs: { data: gzipSync(JSON.stringify(message)).toString('base64') } };
    assert.deepEqual(strip(parse(lambda).signals), strip(signals));
  });

  it('reads records a Firehose stream received directly (one JSON record a line)', () => {
    const lines = readFixtureText('network/route53-resolver/s3-delivery-pool-and-normal.ndjson');
    const request = {
      requestId: 'b4c6d8e0-f2a4-4b6c-8d0e-f2a4b6c8d0e2',
      timestamp: 1794795725000,
      records: [{ data: Buffer.from(lines).toString('base64') }],
    };
    const { signals, ignored } = parse(request);
    assert.equal(ignored, 2);
    assert.deepEqual(strip(signals), strip(parse(ndjson('s3-delivery-pool-and-normal.ndjson')).signals));
    // A record on several lines is still one record.
    const pretty = readFixtureText('network/route53-resolver/query-log-docs-example.json');
    assert.deepEqual(parse({ requestId: 'r', timestamp: 1, records: [{ data: Buffer.from(pretty).toString('base64') }] }), {
      signals: [],
      ignored: 1,
    });
  });

  it('takes the account from the subscription owner when the record lacks it', () => {
    const [first] = ndjson('s3-delivery-pool-and-normal.ndjson');
    const { account_id: _account, ...record } = first!;
    const message = {
      messageType: 'DATA_MESSAGE',
      owner: '999988887777',
      logGroup: 'g',
      logStream: 's',
      subscriptionFilters: [],
      logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(record) }],
    };
    assert.equal(parse(message).signals[0]!.accountId, '999988887777');
    assert.deepEqual(issuesOf([record]), [{ index: 0, field: '/0/account_id', message: 'is required' }]);
  });

  it('strips the trailing dot of query names', () => {
    assert.equal(queryDomain('Pool.SupportXMR.com.'), 'pool.supportxmr.com');
  });

  it('names every bad record and field, and rejects the whole body', () => {
    assert.deepEqual(issuesOf(ndjson('malformed.ndjson')), [
      { index: 1, field: '/1/query_timestamp', message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z' },
      { index: 2, field: '/2/query_name', message: 'is required' },
      { index: 2, field: '/2/answers', message: 'must be an array' },
    ]);
    assert.deepEqual(
      issuesOf({
        messageType: 'DATA_MESSAGE',
        owner: '1',
        logEvents: [
          { id: '1', timestamp: 1, message: 'not json' },
          { id: '2', timestamp: 1, message: '{"query_name":"x"}' },
        ],
      }),
      [
        { index: 0, field: '/logEvents/0/message', message: 'is not valid JSON: a Resolver query log record was expected' },
        { index: 1, field: '/logEvents/1/message/query_timestamp', message: 'is required' },
      ],
    );
    assert.deepEqual(issuesOf('pool.supportxmr.com'), [{ index: null, field: '', message: 'expected a JSON object or array, got string' }]);
  });
});
