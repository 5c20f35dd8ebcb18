import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesSuppression, type SuppressionMatch } from '#src/modules/correlation/suppression.js';
import { launch, signalFactory } from '../../support/signal.factory.js';

const ciLaunch = launch({
  instanceIds: ['i-train1'],
  principal: {
    identity: 'arn:aws:iam::123456789012:role/ci-ml-training',
    name: 'ci-ml-training',
    accessKeyId: 'ASIAEXAMPLECI',
    sourceIp: '10.0.0.5',
  },
  attributes: { eventName: 'RunInstances', costIncurring: true, tags: [{ Key: 'team', Value: 'research-ml' }] },
});
const finding = signalFactory({
  attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS', tags: { purpose: 'mining-research' } },
  resources: [{ provider: 'aws', accountId: '123456789012', region: 'us-east-1', type: 'aws.ec2.instance', id: 'i-lab01' }],
});
const arm = signalFactory({
  provider: 'azure',
  accountId: '0f3b1c2d-0000-4000-8000-000000000001',
  resources: [
    {
      provider: 'azure',
      accountId: 'x',
      region: 'westeurope',
      type: 'azure.compute.vm',
      id: '/subscriptions/x/resourceGroups/ml-gpu/providers/Microsoft.Compute/virtualMachines/trainer-1',
    },
  ],
});

const table: Array<[string, SuppressionMatch, typeof ciLaunch, boolean]> = [
  ['principal glob on role ARN', { principal: '*:role/ci-ml-*' }, ciLaunch, true],
  ['principal on another identity', { principal: '*:role/deploy' }, ciLaunch, false],
  ['tag key and value from AWS tag list', { tag: { key: 'Team', value: 'research-*' } }, ciLaunch, true],
  ['tag value mismatch', { tag: { key: 'team', value: 'payments' } }, ciLaunch, false],
  ['tag key only, from a tag map', { tag: { key: 'purpose' } }, finding, true],
  ['finding type glob', { findingType: 'CryptoCurrency:EC2/*' }, finding, true],
  ['finding type of another service', { findingType: 'CryptoCurrency:Lambda/*' }, finding, false],
  ['resource glob crossing ARM path segments', { resourcePattern: '/subscriptions/*/resourceGroups/ml-gpu/**' }, arm, true],
  ['single star stays within a segment', { resourcePattern: '/subscriptions/*/virtualMachines/*' }, arm, false],
  ['account and finding type together', { accountId: '123456789012', findingType: 'CryptoCurrency:*' }, finding, true],
  ['account differs', { accountId: '999999999999', findingType: 'CryptoCurrency:*' }, finding, false],
  ['kind restriction', { accountId: '123456789012', kinds: ['cost_anomaly'] }, finding, false],
];

describe('suppression matching', () => {
  for (const [name, match, signal, expected] of table) {
    it(`${expected ? 'matches' : 'does not match'}: ${name}`, () => assert.equal(matchesSuppression(match, signal), expected));
  }
});
