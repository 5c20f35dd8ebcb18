import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { guardDutySeverity, guardDutyVersion, parseGuardDuty } from '#src/connectors/aws/guardduty.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`aws/guardduty/${name}`);
const parse = (body: unknown) => parseGuardDuty(body, ctx);
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

describe('parseGuardDuty', () => {
  it('turns the CryptoCurrency:EC2/BitcoinTool.B!DNS sample finding into a mining signal', () => {
    const finding = fixture('finding-bitcointool-dns-camelcase.json');
    const { signals, ignored } = parse(finding);
    assert.equal(ignored, 0);
    assert.deepEqual(signals, [
      {
        source: 'aws.guardduty',
        sourceId: '26b6396cc2a7b63020d30bc0606267af',
        sourceVersion: '2019-10-25T00:24:41.092Z#000000021',
        kind: 'security_finding',
        provider: 'aws',
        accountId: '123456789012',
        region: 'us-west-2',
        observedAt: '2019-08-08T20:09:13.807Z',
        observedUntil: '2019-10-25T00:24:41.092Z',
        severity: 'HIGH',
        title: 'Bitcoin-related domain name queried by EC2 instance i-99999999.',
        mining: true,
        resources: [
          {
            provider: 'aws',
            accountId: '123456789012',
            region: 'us-west-2',
            type: 'aws.ec2.instance',
            id: 'i-99999999',
            instanceType: 'p2.xlarge',
          },
        ],
        principal: null,
        cost: null,
        attributes: {
          findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
          severityScore: 8,
          count: 21,
          resourceType: 'Instance',
          instanceType: 'p2.xlarge',
          instanceFamily: 'p2',
          gpuInstance: true,
          techniques: ['T1496'],
          sample: true,
          arn: 'arn:aws:guardduty:us-west-2:123456789012:detector/7ab01139c0b81403b3c8ec8e08cf939c/finding/26b6396cc2a7b63020d30bc0606267af',
          tags: [{ key: 'GeneratedFindingInstaceTag1', value: 'GeneratedFindingInstaceValue1' }],
          domain: 'GeneratedFindingDomainName',
        },
        raw: finding,
      },
    ]);
  });

  it('gives the same signal for a PascalCase GetFindings response and the camelCase finding', () => {
    const pascal = parse(fixture('getfindings-bitcointool-dns-pascalcase.json')).signals;
    const camel = parse(fixture('finding-bitcointool-dns-camelcase.json')).signals;
    assert.deepEqual(withoutRaw(pascal), withoutRaw(camel));
    // raw keeps the finding as it arrived, in its own spelling.
    assert.equal((pascal[0]!.raw as Json)['Id'], '26b6396cc2a7b63020d30bc0606267af');
  });

  it('reads the camelCase wire list response {"findings": [...]} and an empty one', () => {
    const finding = fixture('finding-bitcointool-dns-camelcase.json');
    assert.equal(parse({ findings: [finding] }).signals[0]!.sourceId, '26b6396cc2a7b63020d30bc0606267af');
    assert.deepEqual(parse({ findings: [] }), { signals: [], ignored: 0 });
  });

  it('unwraps EventBridge events, one or an array, and a later aggregation compares greater', () => {
    const event = fixture('eventbridge-bitcointool-dns-later.json');
    const [later] = parse(event).signals;
    const [earlier] = parse(fixture('finding-bitcointool-dns-camelcase.json')).signals;
    assert.equal(later!.sourceId, earlier!.sourceId);
    assert.equal(later!.sourceVersion, '2019-10-25T06:24:41.310Z#000000022');
    assert.ok(later!.sourceVersion > earlier!.sourceVersion);
    assert.equal(later!.attributes['count'], 22);
    assert.equal(later!.observedUntil, '2019-10-25T06:24:41.000Z');
    assert.deepEqual(later!.raw, event['detail']);
    assert.deepEqual(
      parse([event, event]).signals.map((s) => s.sourceVersion),
      [later!.sourceVersion, later!.sourceVersion],
    );
  });

  it('orders versions by count when updatedAt is equal, across digit counts', () => {
    const at = new Date('2024-01-01T00:00:00Z');
    assert.equal(guardDutyVersion(at, 12), '2024-01-01T00:00:00.000Z#000000012');
    assert.ok(guardDutyVersion(at, 10) > guardDutyVersion(at, 9));
    assert.ok(guardDutyVersion(new Date('2024-01-01T00:00:01Z'), 1) > guardDutyVersion(at, 999));
  });

  it('maps non-mining findings: EC2, EKS cluster, and an access key with the caller IP', () => {
    const { signals } = parse(fixture('findings-array-non-mining-camelcase.json'));
    assert.deepEqual(
      signals.map((s) => [s.attributes['findingType'], s.mining, s.severity, s.accountId, s.region]),
      [
        ['Trojan:EC2/BlackholeTraffic!DNS', false, 'MEDIUM', '123412341234', 'us-east-1'],
        ['Persistence:Kubernetes/SuccessfulAnonymousAccess', false, 'HIGH', '123412341234', 'us-east-1'],
        ['UnauthorizedAccess:IAMUser/TorIPCaller', false, 'MEDIUM', '123456789012', 'us-west-2'],
      ],
    );
    assert.deepEqual(signals[1]!.resources, [
      { provider: 'aws', accountId: '123412341234', region: 'us-east-1', type: 'aws.eks.cluster', id: 'GeneratedFindingEKSClusterArn' },
    ]);
    assert.deepEqual(signals[2]!.resources, [
      { provider: 'aws', accountId: '123456789012', region: 'us-west-2', type: 'aws.iam.access-key', id: 'GeneratedFindingAccessKeyId' },
    ]);
    assert.deepEqual(signals[2]!.principal, {
      identity: 'GeneratedFindingUserName',
      name: 'GeneratedFindingUserName',
      accessKeyId: 'GeneratedFindingAccessKeyId',
      sourceIp: '198.51.100.0',
      userAgent: null,
    });
  });

  it('keeps the shared DropPoint sample as a non-mining HIGH finding on its instance', () => {
    const [signal] = parse(fixture('getfindings-droppoint-pascalcase.json')).signals;
    assert.equal(signal!.sourceId, '034f3664616c49cb85349d0511ecd306');
    assert.equal(signal!.mining, false);
    assert.equal(signal!.severity, 'HIGH');
    assert.equal(signal!.attributes['domain'], '3322.org');
    assert.equal(signal!.attributes['sample'], false);
    assert.deepEqual(
      signal!.resources.map((r) => [r.type, r.id, r.instanceType]),
      [['aws.ec2.instance', 'i-11111111', 'm3.xlarge']],
    );
  });

  it('calls a DNS finding for a known pool domain mining, whatever its type', () => {
    const finding = fixture('findings-array-non-mining-camelcase.json')[0] as Json;
    finding['service']['action']['dnsRequestAction']['domain'] = 'xmr-eu1.nanopool.org';
    const [signal] = parse(finding).signals;
    assert.equal(signal!.mining, true);
    assert.deepEqual(signal!.attributes['techniques'], ['T1496']);
  });

  it('treats an attack sequence as mining only when it talks about mining', () => {
    const base = fixture('findings-array-non-mining-camelcase.json')[0] as Json;
    const sequence = (description: string) => ({
      ...base,
      type: 'AttackSequence:EC2/CompromisedInstanceGroup',
      title: 'Potential compromise of EC2 instances',
      description,
    });
    assert.equal(parse(sequence('Instances ran a cryptocurrency miner after credential theft.')).signals[0]!.mining, true);
    assert.equal(parse(sequence('Instances made suspicious API calls.')).signals[0]!.mining, false);
  });

  it('maps GuardDuty severity bands', () => {
    assert.deepEqual([1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(guardDutySeverity), [
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'CRITICAL',
      'CRITICAL',
    ]);
  });

  it('names every bad field of a malformed GetFindings response in its own spelling', () => {
    assert.deepEqual(issuesOf(fixture('getfindings-malformed-pascalcase.json')), [
      { index: 2, field: '/Findings/2/Severity', message: 'must be a number, got string' },
      {
        index: 2,
        field: '/Findings/2/UpdatedAt',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
    ]);
  });

  it('spells missing fields like the finding does', () => {
    const response = fixture('getfindings-droppoint-pascalcase.json');
    delete response['Findings'][0]['UpdatedAt'];
    delete response['Findings'][0]['AccountId'];
    assert.deepEqual(
      issuesOf(response).map((i) => [i.index, i.field, i.message]),
      [
        [0, '/Findings/0/AccountId', 'is required'],
        [0, '/Findings/0/UpdatedAt', 'is required'],
      ],
    );
    const camel = fixture('finding-bitcointool-dns-camelcase.json');
    camel['service']['eventFirstSeen'] = '2024-13-40T00:00:00Z';
    assert.deepEqual(
      issuesOf([camel]).map((i) => i.field),
      ['/0/service/eventFirstSeen'],
    );
  });

  it('rejects a two-finding request with one bad finding as a whole', () => {
    const good = fixture('finding-bitcointool-dns-camelcase.json');
    const bad = { ...fixture('finding-bitcointool-dns-camelcase.json'), id: 'bad', createdAt: 1565294953 };
    assert.deepEqual(
      issuesOf([good, bad]).map((i) => [i.index, i.field]),
      [[1, '/1/createdAt']],
    );
  });

  it('rejects EventBridge events of another detail-type and bodies that are no findings', () => {
    const event = { ...fixture('eventbridge-bitcointool-dns-later.json'), 'detail-type': 'GuardDuty Runtime Protection Unhealthy' };
    assert.deepEqual(
      issuesOf(event).map((i) => [i.index, i.field]),
      [[0, '/detail-type']],
    );
    assert.deepEqual(issuesOf('finding'), [{ index: null, field: '', message: 'expected a JSON object or array, got string' }]);
    assert.deepEqual(
      issuesOf({ Findings: {} }).map((i) => [i.index, i.field]),
      [[null, '/Findings']],
    );
    assert.deepEqual(issuesOf([42]), [{ index: 0, field: '/0', message: 'a GuardDuty finding must be a JSON object' }]);
  });
});
