import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SCENARIO, scenarioTotalImpact } from '#src/demo/leaked-key.scenario.js';
import { AwsFake } from '../fakes/aws-fake.js';
import { backfillDaysForScenario, leakedKeyAwsData } from '../fakes/aws-scenario.js';
import { connectorClient } from '../fakes/connector-client.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

const ACCESS_KEY_ID = 'AKIAFAKEPULLCONNECTOR';
const SECRET_ACCESS_KEY = 'pUlLcOnNeCtOrSeCrEtKeY/Fake0000000000000';
const REGIONS = Object.keys(SCENARIO.regions);

interface Incident {
  id: string;
  severity: string;
  regions: string[];
  resources: Array<{ id: string; instanceType: string | null }>;
  costImpact: { amount: number };
  attackVector: { accessKeyIds: string[]; sourceIps: string[] };
  techniques: string[];
}

describe('pull connector, AWS: the leaked-key GPU fleet is found with no push at all', () => {
  let t: TestApp;
  let fake: AwsFake;
  let client: ReturnType<typeof connectorClient>;
  let connectorId: string;

  before(async () => {
    fake = await new AwsFake(leakedKeyAwsData(), { accessKeyId: ACCESS_KEY_ID }).start();
    t = await startTestApp({ MINEWATCH_CONNECTOR_RETRY_BASE_MS: '5' });
    client = connectorClient(t.baseUrl, ADMIN_KEY);
  });
  after(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('a connector created over REST runs at once, backfills and yields the one CRITICAL incident', async () => {
    const backfillDays = Math.max(35, backfillDaysForScenario());
    const created = await client.create({
      name: 'production AWS',
      provider: 'aws',
      scopes: [SCENARIO.accountId],
      regions: REGIONS,
      intervalMinutes: 60,
      backfillDays,
      endpoint: fake.url,
      credentials: { source: 'static', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    });
    connectorId = created.id;
    assert.deepEqual(created['collect'], ['cost-anomalies', 'cost', 'cloudtrail', 'guardduty', 'cloudwatch']);
    assert.equal(created['backfillDays'], backfillDays);
    assert.deepEqual(created['credentials'], { source: 'static', secretsStored: true, accessKeyIdHint: '…CTOR' });

    const [run] = await client.finishedRuns(connectorId, 1);
    assert.equal(run!.status, 'succeeded', JSON.stringify(run));
    assert.equal(run!.trigger, 'schedule');
    const byStream = Object.fromEntries(run!.streams.map((s) => [s.stream, s]));
    assert.equal(byStream['guardduty']!.items, 50, 'every finding of the fleet');
    assert.ok(byStream['cloudtrail']!.items >= 8, 'the RunInstances calls of four regions');
    assert.equal(byStream['cost-anomalies']!.items, 2);
    assert.ok(byStream['cloudwatch']!.items >= 50 * 24, 'a day of hourly CPU for each instance');

    const status = (await client.request('GET', `/v1/connectors/${connectorId}`)).body as Record<string, unknown>;
    assert.equal(status['lastRunStatus'], 'succeeded');
    assert.equal(status['lastError'], null);
    assert.ok(status['lastSuccessAt']);
    assert.equal(status['itemsFetched'], run!.itemsFetched);

    await t.settle();
    const { items } = (await t.http.get('/v1/incidents').set(t.auth).expect(200)).body as { items: Incident[] };
    assert.equal(items.length, 1, 'one incident');
    const incident = items[0]!;
    assert.equal(incident.severity, 'CRITICAL');
    const instances = incident.resources.filter((r) => r.id.startsWith('i-'));
    assert.equal(instances.length, 50);
    assert.ok(instances.every((r) => r.instanceType === SCENARIO.instanceType));
    assert.deepEqual([...incident.regions].sort(), [...REGIONS].sort());
    assert.deepEqual(incident.attackVector.accessKeyIds, [SCENARIO.accessKeyId]);
    assert.deepEqual(incident.attackVector.sourceIps, [SCENARIO.sourceIp]);
    const impact = scenarioTotalImpact();
    assert.ok(Math.abs(incident.costImpact.amount - impact) / impact <= 0.1, `cost ${incident.costImpact.amount} within 10 % of ${impact}`);
    assert.ok(incident.techniques.includes('T1496'));
    const detail = (await t.http.get(`/v1/incidents/${incident.id}`).set(t.auth).expect(200)).body as {
      evidence: Array<{ signal: { source: string } }>;
    };
    assert.deepEqual([...new Set(detail.evidence.map((e) => e.signal.source))].sort(), [
      'aws.cloudtrail',
      'aws.cloudwatch',
      'aws.cost-anomaly',
      'aws.guardduty',
    ]);
  });

  it('spoke each API with the configured key, followed two-page answers and started 35 days back or more', () => {
    assert.ok(fake.calls.length > 0);
    assert.deepEqual([...new Set(fake.calls.map((c) => c.principal))], [ACCESS_KEY_ID]);
    for (const operation of [
      'guardduty:ListFindings',
      'cloudtrail:LookupEvents',
      'cloudwatch:GetMetricData',
      'ce:GetAnomalies',
      'ce:GetCostAndUsage',
    ]) {
      assert.ok(
        fake.succeeded(operation).some((c) => !c.key.endsWith('/0')),
        `${operation} was asked for a second page`,
      );
    }
    const firstCostDay = fake
      .succeeded('ce:GetCostAndUsage')
      .map((c) => c.key.slice(0, 10))
      .sort()[0]!;
    assert.ok(Date.now() - Date.parse(`${firstCostDay}T00:00:00Z`) >= 35 * 86_400_000, `cost backfill starts ${firstCostDay}`);
    assert.deepEqual(fake.duplicates(), []);
  });

  it('a second run fetches only what came after the first: no window twice, nothing new stored', async () => {
    const before = (await t.http.get('/v1/status').set(t.auth).expect(200)).body as { signals: { total: number } };
    const callsBefore = fake.calls.length;
    const queued = await client.request('POST', `/v1/connectors/${connectorId}/run`);
    assert.equal(queued.status, 202, queued.text);
    assert.equal((queued.body as { trigger: string }).trigger, 'manual');
    const runs = await client.finishedRuns(connectorId, 2);
    assert.equal(runs[0]!.status, 'succeeded', JSON.stringify(runs[0]));
    assert.deepEqual(fake.duplicates(), [], 'no request repeated');
    // Only the instant streams had a new (minutes-long) window; the daily ones had no new complete day.
    const newCalls = fake.calls.slice(callsBefore);
    assert.ok(
      newCalls.every((c) => !c.operation.startsWith('ce:')),
      'no cost day fetched again',
    );
    await t.settle();
    const after = (await t.http.get('/v1/status').set(t.auth).expect(200)).body as { signals: { total: number } };
    assert.equal(after.signals.total, before.signals.total);
    const { items } = (await t.http.get('/v1/incidents').set(t.auth).expect(200)).body as { items: Incident[] };
    assert.equal(items.length, 1);
  });
});
