import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Signal } from '#src/connectors/signal.js';
import { CorrelationService } from '#src/modules/correlation/correlation.service.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';
import { startTestApp, type TestApp } from '../support/app.js';

// Each run uses its own accounts, instances and key, so runs cannot link to each other.
let ACCOUNT = '123456789012';
let OTHER = '210987654321';
let KEY = 'AKIAQX3LEAKEDKEYWXYZ';

function base(over: Partial<Signal> & Pick<Signal, 'source' | 'sourceId' | 'kind'>): Signal {
  return {
    sourceVersion: '1',
    provider: 'aws',
    accountId: ACCOUNT,
    region: 'us-east-1',
    observedAt: '2026-11-20T10:00:00.000Z',
    observedUntil: '2026-11-20T10:00:00.000Z',
    severity: 'INFO',
    title: over.sourceId,
    mining: false,
    resources: [],
    principal: null,
    cost: null,
    attributes: {},
    raw: null,
    ...over,
  };
}

const instance = (id: string, region: string) => ({
  provider: 'aws' as const,
  accountId: ACCOUNT,
  region,
  type: 'aws.ec2.instance',
  id: `${id}-${KEY}`,
  instanceType: 'p3.8xlarge',
});

/** Two campaigns: a leaked key in two regions (with cost), and an unrelated miner in another account. */
function campaign(tag: string): Signal[] {
  const principal = {
    identity: `arn:aws:iam::${ACCOUNT}:user/developer-user`,
    name: 'developer-user',
    accessKeyId: KEY,
    sourceIp: '185.220.101.47',
  };
  return [
    base({
      source: 'aws.cloudtrail',
      sourceId: `${tag}-run-1`,
      kind: 'provisioning',
      principal,
      resources: [instance('i-a1', 'us-east-1'), instance('i-a2', 'us-east-1')],
      attributes: { eventName: 'RunInstances', costIncurring: true },
    }),
    base({
      source: 'aws.cloudtrail',
      sourceId: `${tag}-run-2`,
      kind: 'provisioning',
      region: 'eu-west-1',
      principal,
      resources: [instance('i-b1', 'eu-west-1')],
      attributes: { eventName: 'RunInstances', costIncurring: true },
      observedAt: '2026-11-20T10:05:00.000Z',
      observedUntil: '2026-11-20T10:05:00.000Z',
    }),
    base({
      source: 'aws.guardduty',
      sourceId: `${tag}-gd-1`,
      kind: 'security_finding',
      mining: true,
      severity: 'HIGH',
      resources: [instance('i-a1', 'us-east-1')],
      attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
      observedAt: '2026-11-20T11:00:00.000Z',
      observedUntil: '2026-11-20T15:00:00.000Z',
    }),
    base({
      source: 'aws.cloudwatch',
      sourceId: `${tag}-cpu-b1`,
      kind: 'utilization',
      region: 'eu-west-1',
      resources: [instance('i-b1', 'eu-west-1')],
      attributes: { metric: 'CPUUtilization', average: 99.1, sustainedHigh: true },
      observedAt: '2026-11-20T11:00:00.000Z',
      observedUntil: '2026-11-20T17:00:00.000Z',
    }),
    base({
      source: 'aws.cost-anomaly',
      sourceId: `${tag}-anomaly`,
      kind: 'cost_anomaly',
      cost: { amount: 5000, currency: 'USD' },
      attributes: { service: 'Amazon Elastic Compute Cloud - Compute', instanceType: 'p3.8xlarge', expectedSpend: 200, actualSpend: 5200 },
      observedAt: '2026-11-20T00:00:00.000Z',
      observedUntil: '2026-11-20T23:59:59.000Z',
    }),
    // Not part of it: a CI role launching in a different account, and S3 spend.
    base({
      source: 'aws.guardduty',
      sourceId: `${tag}-gd-other`,
      kind: 'security_finding',
      mining: true,
      severity: 'HIGH',
      accountId: OTHER,
      resources: [{ ...instance('i-z9', 'us-east-1'), accountId: OTHER }],
      attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B' },
    }),
    base({
      source: 'aws.cost-anomaly',
      sourceId: `${tag}-s3`,
      kind: 'cost_anomaly',
      cost: { amount: 900, currency: 'USD' },
      attributes: { service: 'Amazon Simple Storage Service' },
      observedAt: '2026-11-20T00:00:00.000Z',
      observedUntil: '2026-11-20T23:59:59.000Z',
    }),
  ];
}

describe('correlation on the real database', () => {
  let t: TestApp;
  before(async () => {
    // The engine is driven by hand here: no background polling.
    t = await startTestApp({ MINEWATCH_ROLE: 'all', MINEWATCH_CORRELATION_POLL_MS: '3600000' });
  });
  after(async () => t.close());

  async function outcome(
    tag: string,
    order: number[],
  ): Promise<Array<{ accounts: string[]; sources: string[]; cost: number; resources: string[] }>> {
    const signals = campaign(tag);
    const ingestion = t.app.get(IngestionService);
    // One request per signal, in the given order, correlating after each as a live stream would.
    for (const i of order) {
      await ingestion.store([signals[i]!]);
      await t.app.get(CorrelationService).drain();
    }
    const incidents = t.app.get(IncidentsService);
    const page = await incidents.list({ text: '' }, 100);
    const mine = [];
    for (const incident of page.items) {
      const evidence = await incidents.evidence([incident.id]);
      const ids = evidence.map((e) => e.signal.sourceId).filter((id) => id.startsWith(`${tag}-`));
      if (ids.length === 0) continue;
      mine.push({
        accounts: incident.accounts,
        sources: ids.sort(),
        cost: incident.costAmount,
        resources: incident.resources.map((r) => r.id.split('-AKIA')[0]!).sort(),
      });
    }
    // The campaign's account first, then the other one.
    return mine.sort((a, b) => (a.accounts[0] === ACCOUNT ? -1 : b.accounts[0] === ACCOUNT ? 1 : 0));
  }

  it('groups a campaign into one incident with its cost, and keeps the other account apart', async () => {
    const result = await outcome('fixed', [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(result, [
      {
        accounts: [ACCOUNT],
        sources: ['fixed-anomaly', 'fixed-cpu-b1', 'fixed-gd-1', 'fixed-run-1', 'fixed-run-2'],
        cost: 5000,
        resources: ['i-a1', 'i-a2', 'i-b1'],
      },
      { accounts: [OTHER], sources: ['fixed-gd-other'], cost: 0, resources: ['i-z9'] },
    ]);
  });

  it('gives the same incidents whatever order the signals arrive in', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6], { minLength: 7, maxLength: 7 }), async (order) => {
        run++;
        const tag = `p${run}`;
        ACCOUNT = String(300000000000 + run);
        OTHER = String(400000000000 + run);
        KEY = `AKIAORDER${String(run).padStart(11, '0')}`;
        const result = await outcome(tag, order);
        assert.equal(result.length, 2, `order ${order.join(',')}`);
        assert.deepEqual(
          result[0]!.sources,
          ['anomaly', 'cpu-b1', 'gd-1', 'run-1', 'run-2'].map((s) => `${tag}-${s}`),
        );
        assert.equal(result[0]!.cost, 5000);
      }),
      { numRuns: 8, seed: 20261128 },
    );
  });
});
