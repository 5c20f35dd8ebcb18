import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CostRow } from '#src/connectors/signal.js';
import { aggregate, CostAggregator, isNestedIn, seriesOfRow } from '#src/modules/cost/cost-series.js';
import { coveringNative, instanceTypeOf, resourceRefOf, sameService, type NativeAnomaly } from '#src/modules/cost/cost-signals.js';

const row = (overrides: Partial<CostRow> = {}): CostRow => ({
  source: 'focus',
  provider: 'aws',
  accountId: '111122223333',
  service: 'Amazon Elastic Compute Cloud',
  region: 'us-east-1',
  resourceId: 'i-0f9e8d7c6b5a40002',
  usageType: 'USE1-BoxUsage:p3.8xlarge',
  day: '2026-11-04',
  amount: 12.24,
  currency: 'USD',
  ...overrides,
});

describe('cost series', () => {
  it('feeds a resource, its service in its region, and the account total, nested by key', () => {
    const [resource, service, account] = seriesOfRow(row());
    assert.deepEqual([resource!.level, service!.level, account!.level], ['resource', 'service', 'account']);
    assert.equal(account!.key, 'aws:111122223333:USD');
    assert.ok(isNestedIn(resource!.key, service!.key) && isNestedIn(service!.key, account!.key) && isNestedIn(resource!.key, account!.key));
    assert.ok(!isNestedIn(account!.key, account!.key));
    assert.equal(resource!.parentKey, service!.key);
    // A row without a resource feeds the service series directly.
    assert.deepEqual(
      seriesOfRow(row({ resourceId: null })).map((s) => s.key),
      [service!.key, account!.key],
    );
    // Another region is another service series; another currency another account total.
    assert.notEqual(seriesOfRow(row({ region: 'eu-west-1' }))[1]!.key, service!.key);
    assert.equal(seriesOfRow(row({ currency: 'EUR' }))[2]!.key, 'aws:111122223333:EUR');
  });

  it('sums rows of a series-day and source, and keeps the usage type that cost the most', () => {
    const sums = aggregate([
      ...Array.from({ length: 24 }, () => row()),
      row({ resourceId: 'i-0db00000000000002', usageType: 'USE1-BoxUsage:r5.8xlarge', amount: 200 }),
      row({ source: 'azure.cost', provider: 'azure', accountId: 'sub', resourceId: null, usageType: null, amount: 1 }),
    ]);
    const account = sums.daily.find((d) => d.key === 'aws:111122223333:USD')!;
    assert.equal(account.amount, 493.76);
    assert.equal(account.usageType, 'USE1-BoxUsage:p3.8xlarge', '24 GPU hours (293.76) cost more than one database day (200)');
    assert.equal(sums.series.length, 3 + 1 + 2);
    assert.deepEqual(
      sums.daily.map((d) => d.key),
      [...sums.daily.map((d) => d.key)].sort(),
      'sorted by key, so concurrent requests lock in one order',
    );
    assert.equal(new Set(sums.touched.map((t) => `${t.key}/${t.day}`)).size, sums.touched.length);
  });

  it('an aggregator starts afresh after each take', () => {
    const aggregator = new CostAggregator().add([row(), row({ day: '2026-11-05' })]);
    assert.equal(aggregator.rows, 2);
    assert.equal(aggregator.entries, 6);
    assert.equal(aggregator.take().daily.length, 6);
    assert.equal(aggregator.rows, 0);
    assert.deepEqual(aggregator.take(), { series: [], daily: [], touched: [] });
  });
});

describe('what a detector signal names', () => {
  it('reads the instance type from a usage type or SKU', () => {
    assert.deepEqual(
      [
        'USE1-BoxUsage:p3.8xlarge',
        'p3.8xlarge',
        'Standard_NC24s_v3',
        'Nvidia Tesla V100 GPU running in Americas',
        'USE1-DataTransfer-Out-Bytes',
        null,
      ].map(instanceTypeOf),
      ['p3.8xlarge', 'p3.8xlarge', 'Standard_NC24s_v3', null, null, null],
    );
  });

  it('types the resource of a resource series the way the cloud’s other sources do', () => {
    const [aws] = seriesOfRow(row());
    assert.equal(resourceRefOf(aws!, 'p3.8xlarge')!.type, 'aws.ec2.instance');
    const [lambda] = seriesOfRow(row({ resourceId: 'arn:aws:lambda:us-east-1:111122223333:function:miner' }));
    assert.equal(resourceRefOf(lambda!, null)!.type, 'aws.lambda.function');
    const [vm] = seriesOfRow(
      row({
        provider: 'azure',
        accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
        resourceId:
          '/subscriptions/6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b/resourceGroups/ml/providers/Microsoft.Compute/virtualMachines/gpu-01',
      }),
    );
    assert.equal(resourceRefOf(vm!, 'Standard_NC24s_v3')!.type, 'azure.compute.vm');
    const [gce] = seriesOfRow(
      row({ provider: 'gcp', accountId: 'proj', resourceId: '//compute.googleapis.com/projects/proj/zones/us-central1-a/instances/vm-1' }),
    );
    assert.equal(resourceRefOf(gce!, null)!.type, 'gcp.compute.instance');
    assert.equal(resourceRefOf(seriesOfRow(row({ resourceId: null }))[0]!, null), null);
  });
});

describe('native anomalies supersede the detector’s', () => {
  const native = (overrides: Partial<NativeAnomaly> = {}): NativeAnomaly => ({
    source: 'aws.cost-anomaly',
    sourceId: 'a-1',
    provider: 'aws',
    accountId: '111122223333',
    region: 'us-east-1',
    service: 'Amazon Elastic Compute Cloud - Compute',
    observedAt: new Date('2026-11-03T00:00:00Z'),
    observedUntil: new Date('2026-11-04T23:59:59.999Z'),
    ...overrides,
  });
  const [resource, service, account] = seriesOfRow(row());

  it('matches service names across sources', () => {
    assert.ok(sameService('Amazon Elastic Compute Cloud', 'Amazon Elastic Compute Cloud - Compute'));
    assert.ok(sameService('Compute Engine', 'compute engine'));
    assert.ok(!sameService('Amazon Elastic Compute Cloud', 'Amazon Simple Storage Service'));
    assert.ok(!sameService('', 'Amazon EC2'));
  });

  const table: Array<[string, Partial<NativeAnomaly>, boolean, boolean, boolean]> = [
    // name, native overrides, covers resource, service, account total
    ['same account, service, region and day', {}, true, true, true],
    ['another day', { observedAt: new Date('2026-11-05T00:00:00Z'), observedUntil: new Date('2026-11-05T23:59:59Z') }, false, false, false],
    ['another account', { accountId: '444455556666' }, false, false, false],
    ['another region: only the account total it is part of', { region: 'eu-west-1' }, false, false, true],
    ['no region: the whole account', { region: null }, true, true, true],
    ['another service: only the account total it is part of', { service: 'Amazon Simple Storage Service' }, false, false, true],
    ['no service: every service of the account', { service: null }, true, true, true],
  ];
  for (const [name, overrides, r, s, a] of table) {
    it(name, () => {
      assert.deepEqual(
        [resource!, service!, account!].map((series) => coveringNative(series, '2026-11-04', [native(overrides)]) !== null),
        [r, s, a],
      );
    });
  }
});
