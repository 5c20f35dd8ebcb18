import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { cloudOf, focusDateTime, focusHeaderIssues, parseFocus } from '#src/connectors/focus/focus.parser.js';
import { PayloadValidationError, type CostRow, type ParseContext, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2026-11-08T00:00:00Z'), query: {} };
const csv = (name: string) => readFixtureText(`focus/${name}`);
const ndjson = (name: string) =>
  readFixtureText(`focus/${name}`)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);

function rowsOf(body: unknown, ignored: number): CostRow[] {
  const result = parseFocus(body, ctx);
  assert.deepEqual(result.signals, [], 'cost data never becomes signals directly');
  assert.equal(result.ignored, ignored, 'rows left out on purpose are counted');
  return result.costRows ?? [];
}

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parseFocus(body, ctx);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseFocus', () => {
  it('reads the FOCUS 1.3 sample: usage rows of AWS and Google Cloud, the rest ignored', () => {
    const rows = rowsOf(csv('focus-1.3-costandusage-sample-6rows.csv'), 3);
    assert.deepEqual(rows[0], {
      source: 'focus',
      provider: 'aws',
      accountId: '517389287820',
      service: 'Amazon Elastic Compute Cloud',
      region: 'eu-west-1',
      // The ARN of an EC2 instance becomes the instance id the other AWS sources name it by.
      resourceId: 'i-00c9715656c4',
      usageType: 'Amazon Elastic Compute Cloud Hours',
      day: '2024-09-10',
      amount: 468.17049576,
      currency: 'USD',
    });
    assert.deepEqual(
      rows.map((r) => [r.provider, r.accountId, r.service, r.day, r.amount]),
      [
        ['aws', '517389287820', 'Amazon Elastic Compute Cloud', '2024-09-10', 468.17049576],
        ['gcp', 'proj-helios-dev', 'Cloud Load Balancing', '2024-09-16', 72.6400224],
        ['gcp', 'proj-helios-dev', 'Compute Engine', '2024-09-27', 478.0211004],
      ],
    );
    assert.equal(rows[2]!.resourceId, '//compute.googleapis.com/projects/Helios Labs/zones/us-central1-a/instances/inst-9115');
  });

  it('reads FOCUS 1.0 with zone-less time stamps, takes the instance type from x_UsageType, and leaves out tax and purchases', () => {
    const rows = rowsOf(csv('focus-1.0-aws-daily-gpu-spike.csv'), 2);
    assert.equal(rows.length, 9);
    const gpu = rows.filter((r) => r.resourceId === 'i-0f9e8d7c6b5a40002');
    assert.deepEqual(
      gpu.map((r) => [r.day, r.amount, r.usageType, r.region, r.accountId]),
      [
        ['2026-11-06', 293.76, 'USE1-BoxUsage:p3.8xlarge', 'us-east-1', '111122223333'],
        ['2026-11-07', 293.76, 'USE1-BoxUsage:p3.8xlarge', 'us-east-1', '111122223333'],
      ],
    );
    assert.deepEqual(
      rows.filter((r) => r.resourceId === 'i-0a1b2c3d4e5f60001').map((r) => r.day),
      ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07'],
    );
  });

  it('reads JSON rows of FOCUS 1.2: Azure subscription ids in lower case, VM size from x_SkuDetails, costs given as strings', () => {
    const [azure, gcp] = rowsOf(readFixture('focus/focus-1.2-azure-gcp-rows.json'), 1);
    assert.deepEqual(azure, {
      source: 'focus',
      provider: 'azure',
      accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
      service: 'Virtual Machines',
      region: 'eastus',
      resourceId:
        '/subscriptions/6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachines/gpu-01',
      usageType: 'Standard_NC24s_v3',
      day: '2026-11-06',
      amount: 293.76,
      currency: 'USD',
    });
    assert.deepEqual(gcp, {
      source: 'focus',
      provider: 'gcp',
      accountId: 'proj-ml-sandbox',
      service: 'Compute Engine',
      region: 'us-central1',
      // A project number in the name is replaced by the project id, as the other GCP sources spell it.
      resourceId: '//compute.googleapis.com/projects/proj-ml-sandbox/zones/us-central1-a/instances/trainer-7',
      usageType: 'Nvidia Tesla V100 GPU running in Americas',
      day: '2026-11-06',
      amount: 2.4784,
      currency: 'EUR',
    });
  });

  it('reads FOCUS 1.3 NDJSON: a marketplace product lands in the cloud account it runs in, Oracle is ignored', () => {
    const rows = rowsOf(ndjson('focus-1.3-rows.ndjson'), 1);
    assert.deepEqual(
      rows.map((r) => [r.provider, r.accountId, r.service, r.usageType, r.amount]),
      [
        ['aws', '111122223333', 'Amazon Elastic Compute Cloud', 'USE1-BoxUsage:p3.8xlarge', 12.24],
        ['aws', '111122223333', 'Datadog Pro (AWS Marketplace)', 'prod-abc123', 3.1],
      ],
    );
  });

  it('prefers EffectiveCost and falls back to BilledCost', () => {
    const base = {
      ChargePeriodStart: '2026-11-06T00:00:00Z',
      BillingCurrency: 'usd',
      ProviderName: 'Amazon Web Services',
      ServiceName: 'Amazon EC2',
      SubAccountId: '111122223333',
    };
    const [effective, billed, payer] = rowsOf(
      [
        { ...base, EffectiveCost: 7.5, BilledCost: 0 },
        { ...base, EffectiveCost: null, BilledCost: '4.25' },
        { ...base, SubAccountId: null, BillingAccountId: '999988887777', BilledCost: 1 },
      ],
      0,
    );
    assert.equal(effective!.amount, 7.5);
    assert.equal(effective!.currency, 'USD');
    assert.equal(billed!.amount, 4.25);
    assert.equal(payer!.accountId, '999988887777', 'a charge of the billing account as a whole');
  });

  it('names every malformed row by index, column and CSV line, and keeps nothing', () => {
    const issues = issuesOf(csv('focus-malformed.csv'));
    assert.deepEqual(
      issues.map((i) => [i.index, i.field]),
      [
        [1, '/1/EffectiveCost'],
        [2, '/2/ChargePeriodStart'],
        [3, '/3'],
        [4, '/4/BillingCurrency'],
      ],
    );
    assert.match(issues[0]!.message, /must be a decimal number, got "n\/a" \(CSV line 3\)/);
    assert.match(issues[2]!.message, /CSV line 5 has 8 values but the header names 10 columns/);
  });

  it('names malformed JSON rows by JSON pointer', () => {
    const issues = issuesOf([
      { ChargePeriodStart: 'yesterday', BillingCurrency: 'USD', EffectiveCost: 1, ProviderName: 'AWS', SubAccountId: '1' },
      { ChargePeriodStart: '2026-11-06T00:00:00Z', BillingCurrency: 'USD', ProviderName: 'AWS', SubAccountId: '1' },
      { ChargePeriodStart: '2026-11-06T00:00:00Z', BillingCurrency: 'USD', EffectiveCost: 1, SubAccountId: '1' },
      'not a row',
    ]);
    assert.deepEqual(
      issues.map((i) => [i.index, i.field]),
      [
        [0, '/0/ChargePeriodStart'],
        [1, '/1/EffectiveCost'],
        [2, '/2/ProviderName'],
        [3, '/3'],
      ],
    );
  });

  it('refuses a CSV that is not a FOCUS export, naming the missing columns once', () => {
    const issues = issuesOf('Date,Cost,Currency\n2026-11-01,1,USD\n');
    assert.ok(issues.length >= 1);
    assert.ok(issues.every((i) => i.index === null));
    assert.match(issues.map((i) => i.message).join(' '), /ChargePeriodStart/);
    assert.deepEqual(
      focusHeaderIssues(['chargeperiodstart', 'BILLINGCURRENCY', 'EffectiveCost', 'ServiceProviderName', 'SubAccountId']),
      [],
    );
  });

  it('reads UTC date-times with or without the zone, and refuses impossible ones', () => {
    assert.equal(focusDateTime('2024-09-10T12:00:00Z')?.toISOString(), '2024-09-10T12:00:00.000Z');
    assert.equal(focusDateTime('2024-09-10 23:00:00')?.toISOString(), '2024-09-10T23:00:00.000Z');
    assert.equal(focusDateTime('2024-09-01T00:00:00.0000000Z')?.toISOString(), '2024-09-01T00:00:00.000Z');
    assert.equal(focusDateTime('2024-02-30 00:00:00'), null);
    assert.equal(focusDateTime('10/09/2024'), null);
  });

  it('maps provider names to clouds', () => {
    assert.deepEqual(
      ['AWS', 'Amazon Web Services', 'Microsoft', 'Microsoft Azure', 'Google Cloud', 'Google', 'Oracle', 'Datadog', null].map(cloudOf),
      ['aws', 'aws', 'azure', 'azure', 'gcp', 'gcp', null, null, null],
    );
  });
});
