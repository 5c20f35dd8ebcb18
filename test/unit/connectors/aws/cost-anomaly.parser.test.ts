import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { awsRegionCode, costAnomalySeverity, parseCostAnomaly } from '#src/connectors/aws/cost-anomaly.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`aws/cost-anomaly/${name}`);
const parse = (body: unknown) => parseCostAnomaly(body, ctx);
const one = (body: unknown): Signal => {
  const { signals } = parse(body);
  assert.equal(signals.length, 1);
  return signals[0]!;
};

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseCostAnomaly', () => {
  it('reads the SNS message of the Cost Management User Guide', () => {
    const message = fixture('sns-message-docs-example.json');
    assert.deepEqual(one(message), {
      source: 'aws.cost-anomaly',
      sourceId: '12345678-abcd-ef12-3456-987654321a12',
      sourceVersion: '2021-05-25T23:59:59.999Z#000000000100100',
      kind: 'cost_anomaly',
      provider: 'aws',
      // The root cause's linkedAccount is a placeholder, not an account: the message's accountId is used.
      accountId: '123456789012',
      region: null,
      observedAt: '2021-05-25T00:00:00.000Z',
      observedUntil: '2021-05-25T23:59:59.999Z',
      severity: 'HIGH',
      title: 'Cost anomaly: 1001.00 USD above expected spend (AnomalousServiceName)',
      mining: false,
      resources: [],
      principal: null,
      cost: { amount: 1001, currency: 'USD' },
      attributes: {
        service: 'AnomalousServiceName',
        usageType: 'AnomalousUsageType',
        instanceType: null,
        instanceFamily: null,
        gpuUsage: false,
        dimensionValue: 'ServiceName',
        expectedSpend: 300,
        actualSpend: 1301,
        maxImpact: 151,
        totalImpact: 1001,
        totalImpactPercentage: 333.67,
        anomalyScore: 0.47,
        maxAnomalyScore: 0.47,
        monitorArn: 'arn:aws:ce::123456789012:anomalymonitor/abcdef12-1234-4ea0-84cc-918a97d736ef',
        feedback: null,
        detailsLink:
          'https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/abcdef12-1234-4ea0-84cc-918a97d736ef/anomalies/12345678-abcd-ef12-3456-987654321a12',
        rootCauses: [
          {
            service: 'AnomalousServiceName',
            region: 'AnomalousRegionName',
            regionCode: null,
            linkedAccount: 'AnomalousLinkedAccount',
            linkedAccountName: 'AnomalousLinkedAccountName',
            usageType: 'AnomalousUsageType',
            contribution: 601,
          },
        ],
      },
      raw: message,
    });
  });

  it('unwraps the SNS HTTP notification and takes account, region and usage from the top root cause', () => {
    const envelope = fixture('sns-http-notification-gpu.json');
    const signal = one(envelope);
    const message = JSON.parse(envelope['Message'] as string) as Json;
    assert.deepEqual(signal, one(message), 'the envelope and the bare message give the same signal');
    assert.equal(signal.accountId, '444455556666');
    assert.equal(signal.region, 'us-east-1');
    assert.deepEqual(signal.cost, { amount: 4204.2, currency: 'USD' });
    assert.equal(signal.severity, 'HIGH');
    assert.equal(signal.mining, false, 'a cost anomaly alone is no mining verdict');
    assert.equal(signal.attributes['service'], 'Amazon Elastic Compute Cloud - Compute');
    assert.equal(signal.attributes['usageType'], 'USE1-BoxUsage:p3.16xlarge');
    assert.equal(signal.attributes['instanceType'], 'p3.16xlarge');
    assert.equal(signal.attributes['instanceFamily'], 'p3');
    assert.equal(signal.attributes['gpuUsage'], true);
    assert.equal(signal.attributes['expectedSpend'], 64.1);
    assert.equal(signal.attributes['actualSpend'], 4268.3);
    assert.equal(signal.observedUntil, '2024-03-12T23:59:59.999Z');
    assert.deepEqual(signal.raw, message);
  });

  it('reads the EventBridge event (dimensionValue) and a grown anomaly compares greater', () => {
    const earlier = one(fixture('sns-http-notification-gpu.json'));
    const later = one(fixture('eventbridge-anomaly-detected-gpu.json'));
    assert.equal(later.sourceId, earlier.sourceId);
    assert.equal(later.sourceVersion, '2024-03-13T23:59:59.999Z#000000000682880');
    assert.ok(later.sourceVersion > earlier.sourceVersion);
    assert.equal(later.attributes['dimensionValue'], 'Amazon Elastic Compute Cloud - Compute');
    assert.deepEqual(later.cost, { amount: 6828.8, currency: 'USD' });
    assert.equal(later.accountId, '444455556666');
    assert.equal(later.region, 'us-east-1');
  });

  it('takes the larger impact as the greater version on the same day', () => {
    const message = fixture('sns-message-docs-example.json');
    const grown = { ...message, impact: { ...message['impact'], totalImpact: 12000 } };
    assert.ok(one(grown).sourceVersion > one(message).sourceVersion);
    assert.equal(one(grown).severity, 'CRITICAL');
  });

  it('reads a GetAnomalies response: date-only windows, region names, account from the root cause', () => {
    const { signals, ignored } = parse(fixture('getanomalies-gpu-and-s3.json'));
    assert.equal(ignored, 0);
    assert.deepEqual(
      signals.map((s) => [s.sourceId, s.accountId, s.region, s.observedAt, s.observedUntil, s.cost?.amount, s.severity]),
      [
        [
          '0c2a7f55-8e61-4d0b-9a43-5b1e7d2c9f10',
          '444455556666',
          'eu-west-1',
          '2024-03-11T00:00:00.000Z',
          '2024-03-13T23:59:59.999Z',
          3120.55,
          'HIGH',
        ],
        [
          '9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a',
          '111122223333',
          'us-east-1',
          '2024-03-02T00:00:00.000Z',
          '2024-03-02T23:59:59.999Z',
          84.12,
          'LOW',
        ],
      ],
    );
    assert.deepEqual(
      signals.map((s) => [s.attributes['instanceType'], s.attributes['gpuUsage'], s.attributes['feedback']]),
      [
        ['p4d.24xlarge', true, 'NO'],
        [null, false, null],
      ],
    );
  });

  it('falls back to the monitor ARN account when no root cause names one', () => {
    const response = fixture('getanomalies-gpu-and-s3.json');
    const anomaly = response['Anomalies'][0];
    delete anomaly['RootCauses'];
    delete anomaly['AnomalyEndDate'];
    const signal = one(anomaly);
    assert.equal(signal.accountId, '111122223333');
    assert.equal(signal.region, null);
    // Still open: the window ends with its first day.
    assert.equal(signal.observedUntil, '2024-03-11T23:59:59.999Z');
  });

  it('names every bad field of a malformed GetAnomalies response in its own spelling', () => {
    assert.deepEqual(issuesOf(fixture('getanomalies-malformed.json')), [
      {
        index: 1,
        field: '/Anomalies/1/AnomalyStartDate',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 1, field: '/Anomalies/1/Impact', message: 'is required' },
    ]);
  });

  it('rejects a two-anomaly request with one bad anomaly as a whole', () => {
    const good = fixture('sns-message-docs-example.json');
    const bad = { ...good, anomalyId: 'other', anomalyEndDate: 'XXXX-XX-XXTXX:XX:XXZ' };
    assert.deepEqual(
      issuesOf([good, bad]).map((i) => [i.index, i.field]),
      [[1, '/1/anomalyEndDate']],
    );
  });

  it('points into the SNS Message string and refuses SNS messages that carry no anomaly', () => {
    const envelope = fixture('sns-http-notification-gpu.json');
    const message = JSON.parse(envelope['Message'] as string) as Json;
    delete message['anomalyId'];
    assert.deepEqual(
      issuesOf({ ...envelope, Message: JSON.stringify(message) }).map((i) => i.field),
      ['/Message/anomalyId'],
    );
    assert.deepEqual(
      issuesOf({ ...envelope, Message: '{not json' }).map((i) => [i.field, i.message]),
      [['/Message', 'is not valid JSON']],
    );
    assert.deepEqual(
      issuesOf({ ...envelope, Type: 'SubscriptionConfirmation' }).map((i) => i.field),
      ['/Type'],
    );
  });

  it('refuses an anomaly that names no AWS account', () => {
    const message = fixture('sns-message-docs-example.json');
    delete message['accountId'];
    delete message['monitorArn'];
    assert.deepEqual(
      issuesOf(message).map((i) => [i.index, i.field]),
      [[0, '']],
    );
  });

  it('bands severity by total impact and maps region names', () => {
    assert.deepEqual([0, 50, 100, 999, 1000, 10_000].map(costAnomalySeverity), ['INFO', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH', 'CRITICAL']);
    assert.equal(awsRegionCode('US East (N. Virginia)'), 'us-east-1');
    assert.equal(awsRegionCode('EU (Ireland)'), 'eu-west-1');
    assert.equal(awsRegionCode('us-gov-west-1'), 'us-gov-west-1');
    assert.equal(awsRegionCode('AnomalousRegionName'), null);
  });
});
