import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ConnectorScheduler } from '#src/modules/connectors-admin/connector-scheduler.js';
import { AzureFake } from '../fakes/azure-fake.js';
import { AZURE_SCENARIO, aksMiningAzureData } from '../fakes/azure-scenario.js';
import { connectorClient } from '../fakes/connector-client.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-arm-token-for-the-connector.0001';

interface Incident {
  id: string;
  title: string;
  severity: string;
  providers: string[];
  accounts: string[];
  techniques: string[];
}

describe('pull connector, Azure: Defender mining alert on an AKS node + Percentage CPU, with no push at all', () => {
  let t: TestApp;
  let fake: AzureFake;
  let client: ReturnType<typeof connectorClient>;
  let connectorId: string;

  before(async () => {
    fake = await new AzureFake(aksMiningAzureData(), { token: TOKEN }).start();
    fake.faults.push(
      { operation: 'security:alerts.list', kind: 'throttle', times: 2 },
      { operation: 'costmanagement:query', kind: 'throttle', times: 1, page: 2 },
      { operation: 'monitor:metrics.list', kind: 'error', times: 1 },
    );
    t = await startTestApp({ MINEWATCH_CONNECTOR_RETRY_BASE_MS: '5' });
    client = connectorClient(t.baseUrl, ADMIN_KEY);
  });
  after(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('a connector over https with a private CA runs at once and the AKS mining incident appears', async () => {
    const created = await client.create({
      name: 'production subscription',
      provider: 'azure',
      scopes: [AZURE_SCENARIO.subscription],
      endpoint: fake.url,
      caCertificate: fake.ca,
      credentials: { source: 'token', token: TOKEN },
    });
    connectorId = created.id;
    assert.deepEqual(created['collect'], ['cost', 'activity-log', 'defender', 'monitor']);
    assert.equal(created['caCertificateSet'], true);

    const [run] = await client.finishedRuns(connectorId, 1);
    assert.equal(run!.status, 'succeeded', JSON.stringify(run));
    assert.ok(run!.throttled >= 3, `throttling was retried (${run!.throttled})`);
    const items = Object.fromEntries(run!.streams.map((s) => [s.stream, s.items]));
    assert.equal(items['defender'], 2, 'both alerts of the campaign');
    assert.equal(items['activity-log'], 2, 'the GPU VM write, started and succeeded');
    // 35 complete days up to the last complete day of cost data (a day behind): two resources a day.
    assert.ok(items['cost']! >= 2 * 35, `cost rows: ${items['cost']}`);
    assert.ok(items['monitor']! >= 48, 'both nodes, hourly, the day of the alerts');

    await t.settle();
    const { items: incidents } = (await t.http.get('/v1/incidents?provider=azure').set(t.auth).expect(200)).body as { items: Incident[] };
    assert.equal(incidents.length, 1, JSON.stringify(incidents.map((i) => i.title)));
    const incident = incidents[0]!;
    assert.deepEqual(incident.accounts, [AZURE_SCENARIO.subscription]);
    assert.ok(incident.techniques.includes('T1496'));
    const detail = (await t.http.get(`/v1/incidents/${incident.id}`).set(t.auth).expect(200)).body as {
      evidence: Array<{ signal: { source: string; kind: string; title: string } }>;
    };
    const sources = new Set(detail.evidence.map((e) => e.signal.source));
    assert.ok(sources.has('azure.defender') && sources.has('azure.monitor'), [...sources].join());
    const alertTitles = detail.evidence
      .filter((e) => e.signal.source === 'azure.defender')
      .map((e) => e.signal.title)
      .join(' | ');
    assert.match(alertTitles, /mining|miner/i);
  });

  it("stored the pulled cost as daily series, and MineWatch's own detector found the node pool's spike", async () => {
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    try {
      const days = await db.query<{ n: string }>(
        `SELECT count(DISTINCT d.day)::text AS n FROM cost_daily d JOIN cost_series s USING (series_key) WHERE s.account_id = $1`,
        [AZURE_SCENARIO.subscription],
      );
      assert.ok(Number(days.rows[0]!.n) >= 35, `days of pulled cost history: ${days.rows[0]!.n}`);
    } finally {
      await db.end();
    }
    const { items } = (await t.http.get('/v1/signals?source=minewatch.cost-detector').set(t.auth).expect(200)).body as {
      items: Array<{ kind: string; accountId: string; observedAt: string }>;
    };
    const spike = items.filter(
      (s) =>
        s.accountId === AZURE_SCENARIO.subscription && s.observedAt.startsWith(new Date(AZURE_SCENARIO.day).toISOString().slice(0, 10)),
    );
    assert.ok(spike.length >= 1, JSON.stringify(items));
    assert.ok(spike.every((s) => s.kind === 'cost_anomaly'));
  });

  it('followed nextLink itself, fetched no window twice, and sent the token only over https', () => {
    assert.ok(
      fake.succeeded('costmanagement:query').some((c) => !c.key.endsWith('/0')),
      'Cost Management nextLink followed',
    );
    assert.ok(
      fake.succeeded('security:alerts.list').some((c) => !c.key.endsWith('/0')),
      'alerts nextLink followed',
    );
    const firstDay = fake
      .succeeded('costmanagement:query')
      .map((c) => c.key.slice(0, 10))
      .sort()[0]!;
    assert.ok(Date.now() - Date.parse(`${firstDay}T00:00:00Z`) >= 35 * 86_400_000, `cost backfill starts ${firstDay}`);
    assert.deepEqual(fake.duplicates(), []);
    assert.ok(fake.url.startsWith('https://'));
    assert.ok(fake.calls.every((c) => c.status !== 401));
  });

  it('a paused connector misses its ticks; resuming runs the missed one at once', async () => {
    const paused = await client.request('POST', `/v1/connectors/${connectorId}/pause`);
    assert.equal((paused.body as { status: string }).status, 'paused');
    assert.equal((await client.request('POST', `/v1/connectors/${connectorId}/run`)).status, 409);
    // The interval passes while it is paused, and a tick comes: nothing is dispatched.
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    try {
      await db.query(`UPDATE connectors SET next_run_at = now() - interval '1 minute' WHERE id = $1`, [connectorId]);
    } finally {
      await db.end();
    }
    assert.deepEqual(await t.app.get(ConnectorScheduler).tick(), []);
    assert.equal((await client.runs(connectorId)).length, 1);

    const resumed = await client.request('POST', `/v1/connectors/${connectorId}/resume`);
    assert.equal((resumed.body as { status: string }).status, 'active');
    const runs = await client.finishedRuns(connectorId, 2);
    assert.equal(runs[0]!.trigger, 'schedule');
    assert.equal(runs[0]!.status, 'succeeded');
    assert.deepEqual(fake.duplicates(), []);
  });
});
