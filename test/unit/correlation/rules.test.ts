import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Rule, SignalView } from '#src/modules/correlation/correlation.types.js';
import { buildContext } from '#src/modules/correlation/incident-context.js';
import { costAnomalyRule } from '#src/modules/correlation/rules/cost-anomaly.rule.js';
import { miningFindingRule, opensIncident } from '#src/modules/correlation/rules/mining-finding.rule.js';
import { sameAccountMiningRule } from '#src/modules/correlation/rules/same-account-mining.rule.js';
import { sharedPrincipalRule } from '#src/modules/correlation/rules/shared-principal.rule.js';
import { sharedResourceRule } from '#src/modules/correlation/rules/shared-resource.rule.js';
import { sustainedUtilizationRule } from '#src/modules/correlation/rules/sustained-utilization.rule.js';
import { launch, signalFactory } from '../../support/signal.factory.js';

const options = { windowMs: 72 * 3_600_000 };
const finding = signalFactory({
  resources: [
    { provider: 'aws', accountId: '123456789012', region: 'us-east-1', type: 'aws.ec2.instance', id: 'i-aaa', instanceType: 'p3.8xlarge' },
  ],
});
const launcher = launch({ instanceIds: ['i-aaa', 'i-bbb'] });
// The incident as it stands after the finding pulled in the launch that created its instance.
const incident = buildContext([finding, launcher]);

const costAnomaly = (o: Partial<SignalView> = {}) =>
  signalFactory({
    source: 'aws.cost-anomaly',
    kind: 'cost_anomaly',
    mining: false,
    resources: [],
    cost: { amount: 14_800, currency: 'USD' },
    observedAt: new Date('2026-11-20T00:00:00Z'),
    observedUntil: new Date('2026-11-21T23:59:59Z'),
    attributes: {
      service: 'Amazon Elastic Compute Cloud - Compute',
      usageType: 'BoxUsage:p3.8xlarge',
      instanceType: 'p3.8xlarge',
      expectedSpend: 200,
      actualSpend: 15_000,
    },
    ...o,
  });

const cases: Array<{ name: string; rule: Rule; signal: SignalView; links: boolean }> = [
  {
    name: 'mining finding on an incident instance',
    rule: miningFindingRule,
    signal: signalFactory({ resources: finding.resources }),
    links: true,
  },
  { name: 'mining finding on another instance', rule: miningFindingRule, signal: signalFactory(), links: false },
  {
    name: 'non-mining finding is not a mining link',
    rule: miningFindingRule,
    signal: signalFactory({ mining: false, resources: finding.resources }),
    links: false,
  },
  { name: 'launch record of an incident instance', rule: sharedResourceRule, signal: launch({ instanceIds: ['i-aaa'] }), links: true },
  { name: 'launch of unrelated instances', rule: sharedResourceRule, signal: launch({ instanceIds: ['i-zzz'] }), links: false },
  {
    name: 'same access key launching in another region',
    rule: sharedPrincipalRule,
    signal: launch({ instanceIds: ['i-ccc'], region: 'eu-west-1' }),
    links: true,
  },
  {
    name: 'same access key, outside the window',
    rule: sharedPrincipalRule,
    signal: launch({
      instanceIds: ['i-ccc'],
      observedAt: new Date('2026-12-20T00:00:00Z'),
      observedUntil: new Date('2026-12-20T00:00:00Z'),
    }),
    links: false,
  },
  {
    name: 'another access key of another identity',
    rule: sharedPrincipalRule,
    signal: launch({
      instanceIds: ['i-ccc'],
      accessKeyId: 'AKIAOTHER000000000000',
      principal: { identity: 'arn:aws:iam::123456789012:role/ci', accessKeyId: 'AKIAOTHER000000000000', sourceIp: null },
    }),
    links: false,
  },
  { name: 'EC2 cost anomaly in the same account and days', rule: costAnomalyRule, signal: costAnomaly(), links: true },
  { name: 'cost anomaly in another account', rule: costAnomalyRule, signal: costAnomaly({ accountId: '999999999999' }), links: false },
  {
    name: 'cost anomaly of a non-compute service',
    rule: costAnomalyRule,
    signal: costAnomaly({ attributes: { service: 'Amazon Simple Storage Service', usageType: 'TimedStorage-ByteHrs' } }),
    links: false,
  },
  {
    name: 'cost anomaly a month later',
    rule: costAnomalyRule,
    signal: costAnomaly({ observedAt: new Date('2027-01-01T00:00:00Z'), observedUntil: new Date('2027-01-02T00:00:00Z') }),
    links: false,
  },
  {
    name: 'CPU pinned on an incident instance',
    rule: sustainedUtilizationRule,
    signal: signalFactory({
      kind: 'utilization',
      mining: false,
      resources: finding.resources,
      attributes: { metric: 'CPUUtilization', average: 99.2, sustainedHigh: true },
    }),
    links: true,
  },
  {
    name: 'normal CPU on an incident instance',
    rule: sustainedUtilizationRule,
    signal: signalFactory({
      kind: 'utilization',
      mining: false,
      resources: finding.resources,
      attributes: { metric: 'CPUUtilization', average: 35, sustainedHigh: false },
    }),
    links: false,
  },
  { name: 'another mining finding in the same account', rule: sameAccountMiningRule, signal: signalFactory(), links: true },
  {
    name: 'a mining finding in another account',
    rule: sameAccountMiningRule,
    signal: signalFactory({ accountId: '210987654321' }),
    links: false,
  },
];

describe('correlation rules', () => {
  for (const c of cases) {
    it(`${c.links ? 'links' : 'does not link'}: ${c.name}`, () => {
      const link = c.rule(c.signal, incident, options);
      if (!c.links) {
        assert.equal(link, null);
        return;
      }
      assert.ok(link, 'expected a link');
      assert.ok(link.weight > 0 && link.weight <= 1);
      assert.ok(link.reason.length > 20, 'the reason explains itself');
    });
  }

  it('only mining detections open incidents', () => {
    assert.equal(opensIncident(finding), true);
    assert.equal(opensIncident(costAnomaly()), false);
    assert.equal(opensIncident(launcher), false);
    assert.equal(opensIncident(signalFactory({ mining: false })), false);
  });

  it('names the key and the source address in the reason for a launch', () => {
    const link = sharedResourceRule(launch({ instanceIds: ['i-aaa'] }), incident, options);
    assert.match(link!.reason, /AKIAIOSFODNN7EXAWXYZ/);
    assert.match(link!.reason, /185\.220\.101\.7/);
  });
});
