import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assess, confidenceOf, severityOf } from '#src/modules/correlation/assessment.js';
import { launch, signalFactory } from '../../support/signal.factory.js';

describe('assessment', () => {
  it('a cost spike alone is never above MEDIUM, however large', () => {
    assert.equal(severityOf(90, 1_000_000, 0, false), 'MEDIUM');
  });

  it('a mining finding alone is at least MEDIUM, and HIGH when the cloud rates it HIGH', () => {
    assert.equal(severityOf(60, 0, 1, true), 'MEDIUM');
    assert.equal(severityOf(60, 0, 1, true, true), 'HIGH');
  });

  it('fifty GPU instances with a five-figure anomaly are CRITICAL', () => {
    assert.equal(severityOf(90, 14_800, 50, true), 'CRITICAL');
  });

  it('repeating one kind of evidence adds less than independent kinds', () => {
    const many = Array.from({ length: 50 }, () => ({
      signal: signalFactory(),
      link: { rule: 'same-account-mining', weight: 0.4, reason: 'r' },
    }));
    const mixed = [
      { signal: signalFactory(), link: { rule: 'mining-finding', weight: 0.6, reason: 'r' } },
      { signal: signalFactory(), link: { rule: 'cost-anomaly', weight: 0.25, reason: 'r' } },
      { signal: signalFactory(), link: { rule: 'sustained-utilization', weight: 0.15, reason: 'r' } },
    ];
    assert.equal(confidenceOf(many), 78); // 1 - 0.6^3
    assert.equal(confidenceOf(mixed), 75); // 1 - 0.4*0.75*0.85
  });

  it('sums cost anomalies, lists regions in order of attack and names the key', () => {
    const evidence = [
      {
        signal: launch({ instanceIds: ['i-1', 'i-2'], region: 'us-east-1' }),
        link: { rule: 'shared-resource', weight: 0.25, reason: 'r' },
      },
      {
        signal: launch({
          instanceIds: ['i-3'],
          region: 'eu-west-1',
          observedAt: new Date('2026-11-20T09:30:00Z'),
          observedUntil: new Date('2026-11-20T09:30:00Z'),
        }),
        link: { rule: 'shared-principal', weight: 0.2, reason: 'r' },
      },
      {
        signal: signalFactory({
          resources: [
            {
              provider: 'aws',
              accountId: '123456789012',
              region: 'us-east-1',
              type: 'aws.ec2.instance',
              id: 'i-1',
              instanceType: 'p3.8xlarge',
            },
          ],
        }),
        link: { rule: 'mining-finding', weight: 0.6, reason: 'r' },
      },
      {
        signal: signalFactory({ kind: 'cost_anomaly', mining: false, resources: [], cost: { amount: 1000.5, currency: 'USD' } }),
        link: { rule: 'cost-anomaly', weight: 0.2, reason: 'r' },
      },
      {
        signal: signalFactory({ kind: 'cost_anomaly', mining: false, resources: [], cost: { amount: 500.25, currency: 'USD' } }),
        link: { rule: 'cost-anomaly', weight: 0.2, reason: 'r' },
      },
    ];
    const a = assess(evidence);
    assert.equal(a.costAmount, 1500.75);
    assert.deepEqual(a.regions, ['us-east-1', 'eu-west-1']);
    assert.equal(a.resources.length, 3);
    assert.deepEqual(a.attackVector.accessKeyIds, ['AKIAIOSFODNN7EXAWXYZ']);
    assert.deepEqual(a.attackVector.sourceIps, ['185.220.101.7']);
    assert.equal(a.attackVector.firstCallAt, '2026-11-20T09:00:00.000Z');
    assert.ok(a.techniques.includes('T1496'));
    assert.ok(a.techniques.includes('T1078.004'));
    assert.ok(
      a.recommendedActions.some((x) =>
        x.includes('update-access-key --access-key-id AKIAIOSFODNN7EXAWXYZ --status Inactive --user-name developer-user'),
      ),
    );
    assert.ok(a.recommendedActions.some((x) => x.includes('--region eu-west-1 --instance-ids i-3')));
  });
});
