import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectorClient } from '../fakes/connector-client.js';
import { GcpFake } from '../fakes/gcp-fake.js';
import { GCP_SCENARIO, leakedKeyGcpData } from '../fakes/gcp-scenario.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

const TOKEN = 'ya29.fake-gcp-access-token-for-the-connector-0001';

/** A GraphQL input literal (`{name: "x", scopes: ["a"]}`) for a JSON value. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

interface Incident {
  id: string;
  title: string;
  severity: string;
  providers: string[];
  accounts: string[];
  resources: Array<{ id: string; type: string }>;
  techniques: string[];
}

describe('pull connector, GCP: SCC mining finding + billing spike + CPU, with no push at all', () => {
  let t: TestApp;
  let fake: GcpFake;
  let client: ReturnType<typeof connectorClient>;
  let connectorId: string;

  before(async () => {
    fake = await new GcpFake(leakedKeyGcpData(), { token: TOKEN }).start();
    fake.faults.push(
      { operation: 'scc:ListFindings', kind: 'throttle', times: 1 },
      { operation: 'bigquery:jobs.getQueryResults', kind: 'throttle', times: 1 },
      { operation: 'monitoring:ListTimeSeries', kind: 'error', times: 1, page: 2 },
    );
    t = await startTestApp({ MINEWATCH_CONNECTOR_RETRY_BASE_MS: '5' });
    client = connectorClient(t.baseUrl, ADMIN_KEY);
  });
  after(async () => {
    await t?.close();
    await fake?.stop();
  });

  it("a connector created over GraphQL runs at once and the project's mining incident appears", async () => {
    const created = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({
        query: `mutation { createConnector(input: ${literal({
          name: 'ML projects',
          provider: 'gcp',
          scopes: [GCP_SCENARIO.project],
          endpoint: fake.url,
          credentials: { source: 'token', token: TOKEN },
          billingTable: GCP_SCENARIO.billingTable,
          billingAccount: GCP_SCENARIO.billingAccount,
        })}) { id provider collect credentials { source secretsStored } } }`,
      });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.errors, undefined, JSON.stringify(created.body.errors));
    const connector = created.body.data.createConnector as {
      id: string;
      collect: string[];
      credentials: { source: string; secretsStored: boolean };
    };
    connectorId = connector.id;
    assert.deepEqual(connector.collect, ['billing', 'billing-anomalies', 'audit-log', 'scc', 'monitoring']);
    assert.deepEqual(connector.credentials, { source: 'token', secretsStored: true });

    const [run] = await client.finishedRuns(connectorId, 1);
    assert.equal(run!.status, 'succeeded', JSON.stringify(run));
    assert.ok(run!.throttled >= 2);
    const items = Object.fromEntries(run!.streams.map((s) => [s.stream, s.items]));
    assert.equal(items['scc'], 1);
    assert.equal(items['audit-log'], 5);
    // Both anomalies of the billing account were detected in the window; the one of a project the
    // connector does not cover (acme-web) is read but not kept.
    assert.equal(items['billing-anomalies'], 2);
    assert.ok(items['billing']! > 35, 'a row per day and SKU since the backfill start');
    assert.equal(items['monitoring'], 48, 'two instances, 24 hourly means each');

    await t.settle();
    const { items: incidents } = (await t.http.get('/v1/incidents?provider=gcp').set(t.auth).expect(200)).body as { items: Incident[] };
    assert.equal(incidents.length, 1, JSON.stringify(incidents.map((i) => i.title)));
    const incident = incidents[0]!;
    assert.deepEqual(incident.providers, ['gcp']);
    assert.deepEqual(incident.accounts, [GCP_SCENARIO.project]);
    assert.ok(['HIGH', 'CRITICAL'].includes(incident.severity), incident.severity);
    assert.ok(incident.techniques.includes('T1496'));
    assert.ok(
      incident.resources.some((r) => r.id.includes(GCP_SCENARIO.vm)),
      JSON.stringify(incident.resources),
    );
    const detail = (await t.http.get(`/v1/incidents/${incident.id}`).set(t.auth).expect(200)).body as {
      evidence: Array<{ signal: { source: string; kind: string } }>;
    };
    const kinds = new Set(detail.evidence.map((e) => `${e.signal.source}:${e.signal.kind}`));
    assert.ok(kinds.has('gcp.scc:security_finding'), [...kinds].join());
    assert.ok(kinds.has('gcp.billing:cost_anomaly'), [...kinds].join());
    assert.ok(kinds.has('gcp.monitoring:utilization'), [...kinds].join());
  });

  it('aggregated in BigQuery, followed every page, fetched no window twice, and sent the token only', () => {
    assert.ok(fake.queries.length >= 1);
    assert.ok(
      fake.queries.every((q) => /GROUP BY/.test(q) && /SUM\(cost\)/.test(q)),
      'the SQL aggregates in BigQuery',
    );
    const firstDay = fake
      .succeeded('bigquery:jobs.insert')
      .map((c) => c.key.slice(0, 10))
      .sort()[0]!;
    assert.ok(Date.now() - Date.parse(`${firstDay}T00:00:00Z`) >= 35 * 86_400_000, `billing backfill starts ${firstDay}`);
    for (const op of [
      'bigquery:jobs.getQueryResults',
      'monitoring:ListTimeSeries',
      'logging:entries.list',
      'cloudbilling:anomalies.list',
    ]) {
      assert.ok(
        fake.succeeded(op).some((c) => !c.key.endsWith('/0')),
        `${op} answered in two pages`,
      );
    }
    assert.deepEqual(fake.duplicates(), []);
    assert.ok(fake.calls.every((c) => c.status !== 401));
  });

  it('a second run finds nothing new and changes nothing', async () => {
    const before = (await t.http.get('/v1/status').set(t.auth).expect(200)).body as { signals: { total: number } };
    const mutation = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({ query: `mutation { runConnector(id: ${JSON.stringify(connectorId)}) { id trigger status } }` })
      .expect(200);
    assert.equal(mutation.body.data.runConnector.trigger, 'manual');
    const runs = await client.finishedRuns(connectorId, 2);
    assert.equal(runs[0]!.status, 'succeeded', JSON.stringify(runs[0]));
    assert.deepEqual(fake.duplicates(), []);
    await t.settle();
    const after = (await t.http.get('/v1/status').set(t.auth).expect(200)).body as { signals: { total: number } };
    assert.equal(after.signals.total, before.signals.total);
  });
});
