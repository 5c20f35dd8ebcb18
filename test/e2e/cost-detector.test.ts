import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestApp, type TestApp } from '../support/app.js';
import { days, focusCsv, type FocusCharge } from '../support/focus.js';

const ACCOUNT = '111122223333';
const EC2 = 'Amazon Elastic Compute Cloud';
const weekend = (day: string) => [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());

/**
 * Six weeks of an ordinary AWS account (a web server billed hourly, cheaper at weekends, and a
 * database billed daily), then on Wednesday 2026-11-04 a p3.8xlarge nobody launched before:
 * 24 hours at 12.24 USD, a known spike of 293.76 USD on top of the 320 USD a Wednesday costs.
 */
function account(): FocusCharge[] {
  const charges: FocusCharge[] = [];
  for (const day of days('2026-09-23', 43)) {
    for (let hour = 0; hour < 24; hour++) {
      const web = {
        day,
        hour,
        accountId: ACCOUNT,
        service: EC2,
        region: 'us-east-1',
        resourceId: 'i-0a1b2c3d4e5f60001',
        usageType: 'USE1-BoxUsage:m5.4xlarge',
      };
      charges.push({ ...web, cost: weekend(day) ? 2.5 : 5 });
    }
    charges.push({
      day,
      accountId: ACCOUNT,
      service: EC2,
      region: 'us-east-1',
      resourceId: 'i-0db00000000000002',
      usageType: 'USE1-BoxUsage:r5.8xlarge',
      cost: 200,
    });
  }
  for (let hour = 0; hour < 24; hour++) {
    charges.push({
      day: '2026-11-04',
      hour,
      accountId: ACCOUNT,
      service: EC2,
      region: 'us-east-1',
      resourceId: 'i-0f9e8d7c6b5a40002',
      usageType: 'USE1-BoxUsage:p3.8xlarge',
      cost: 12.24,
    });
  }
  // Not usage: a tax line and an Oracle charge are read and left out.
  charges.push({
    day: '2026-11-01',
    accountId: ACCOUNT,
    service: 'Tax',
    region: 'us-east-1',
    resourceId: null,
    usageType: 'Tax',
    cost: 500,
    chargeCategory: 'Tax',
  });
  charges.push({
    day: '2026-11-04',
    provider: 'Oracle',
    accountId: 'ocid1.compartment.oc1..prod',
    service: 'Oracle Compute',
    region: 'us-ashburn-1',
    resourceId: null,
    usageType: 'BM.GPU4.8',
    cost: 5000,
  });
  return charges;
}

describe('FOCUS cost rows and the cost anomaly detector, over HTTP', () => {
  let t: TestApp;
  let sql: pg.Client;
  const body = focusCsv(account());
  const anomalies = async () => (await t.http.get('/v1/signals?kind=cost_anomaly').set(t.auth).expect(200)).body.items as any[];
  const detectorRow = async (id: string) =>
    (await sql.query(`SELECT source_version, attributes, updated_at FROM signals WHERE id = $1`, [id])).rows[0] as {
      source_version: string;
      attributes: Record<string, any>;
      updated_at: Date;
    };

  before(async () => {
    t = await startTestApp();
    sql = new pg.Client({ connectionString: t.db.url });
    await sql.connect();
  });
  after(async () => {
    await sql.end();
    await t.close();
  });

  it('turns a known spike in a FOCUS export into exactly one cost_anomaly with the derived impact', async () => {
    const res = await t.http.post('/v1/ingest/focus').set(t.auth).set('content-type', 'text/csv').send(body).expect(200);
    assert.deepEqual(
      {
        accepted: res.body.accepted,
        duplicates: res.body.duplicates,
        ignored: res.body.ignored,
        costRows: res.body.costRows,
        costAnomalies: res.body.costAnomalies,
      },
      { accepted: 0, duplicates: 0, ignored: 2, costRows: 43 * 25 + 24, costAnomalies: 1 },
    );
    const [signal, ...others] = await anomalies();
    assert.deepEqual(others, [], 'one spike, one signal: the account total does not repeat what the service carries');
    assert.equal(signal.source, 'minewatch.cost-detector');
    assert.equal(signal.provider, 'aws');
    assert.equal(signal.accountId, ACCOUNT);
    assert.equal(signal.region, 'us-east-1');
    assert.equal(signal.observedAt, '2026-11-04T00:00:00.000Z');
    assert.equal(signal.observedUntil, '2026-11-04T23:59:59.999Z');
    assert.deepEqual(signal.cost, { amount: 293.76, currency: 'USD' });
    assert.equal(signal.severity, 'MEDIUM');
    assert.equal(signal.mining, false);
    assert.deepEqual(signal.resources, [], 'the new instance has no history of its own: its service in its region carries the spike');
    assert.match(signal.title, /293\.76 USD above expected spend \(Amazon Elastic Compute Cloud, us-east-1, p3\.8xlarge\)/);
    const { attributes } = await detectorRow(signal.id);
    assert.equal(attributes.expectedSpend, 320);
    assert.equal(attributes.actualSpend, 613.76);
    assert.equal(attributes.detector, 'robust-weekly');
    assert.equal(attributes.instanceType, 'p3.8xlarge');
    assert.equal(attributes.gpuUsage, true);
    assert.equal(attributes.baselineDays, 42);
    assert.ok(attributes.score >= 4);
  });

  const incidentCost = async () => {
    await t.settle();
    const { items } = (await t.http.get(`/v1/incidents?account=${ACCOUNT}`).set(t.auth).expect(200)).body;
    assert.equal(items.length, 1);
    return items[0].costImpact;
  };

  it('a mining finding in that account makes an incident whose cost impact is the anomaly', async () => {
    await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .send({
        sourceId: 'gd-miner-1',
        kind: 'security_finding',
        provider: 'aws',
        accountId: ACCOUNT,
        region: 'us-east-1',
        observedAt: '2026-11-04T10:00:00Z',
        severity: 'HIGH',
        title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
        mining: true,
        resources: [{ provider: 'aws', accountId: ACCOUNT, region: 'us-east-1', type: 'aws.ec2.instance', id: 'i-0f9e8d7c6b5a40002' }],
        attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
      })
      .expect(200);
    assert.deepEqual(await incidentCost(), { amount: 293.76, currency: 'USD' });
  });

  it('changes nothing when the same export is sent again', async () => {
    const [before] = await anomalies();
    const stored = await detectorRow(before.id);
    const res = await t.http.post('/v1/ingest/focus').set(t.auth).set('content-type', 'text/csv').send(body).expect(200);
    assert.equal(res.body.costRows, 43 * 25 + 24);
    assert.equal(res.body.costAnomalies, 0);
    const after = await anomalies();
    assert.deepEqual(after, [before]);
    const again = await detectorRow(before.id);
    assert.equal(again.source_version, stored.source_version);
    assert.equal(again.updated_at.getTime(), stored.updated_at.getTime());
    // Replace, not add: the Wednesday of the spike still sums to 613.76 once.
    const { rows } = await sql.query(
      `SELECT sum(d.amount)::float8 AS total FROM cost_daily d JOIN cost_series s USING (series_key) WHERE s.level = 'account' AND d.day = '2026-11-04'`,
    );
    assert.equal(rows[0].total, 613.76);
  });

  it('a corrected export with a larger spike updates the same signal', async () => {
    const [before] = await anomalies();
    const bigger = account().map((c) => (c.resourceId === 'i-0f9e8d7c6b5a40002' ? { ...c, cost: 24.48 } : c));
    const res = await t.http.post('/v1/ingest/focus').set(t.auth).set('content-type', 'text/csv').send(focusCsv(bigger)).expect(200);
    assert.equal(res.body.costAnomalies, 1);
    const [after, ...others] = await anomalies();
    assert.deepEqual(others, []);
    assert.equal(after.id, before.id);
    assert.deepEqual(after.cost, { amount: 587.52, currency: 'USD' });
    assert.deepEqual(await incidentCost(), { amount: 587.52, currency: 'USD' });
  });

  it('a native anomaly of the same spend supersedes the detector’s: the cost is counted once', async () => {
    const native = {
      version: '0',
      id: '8c6e2f3a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
      source: 'aws.ce',
      'detail-type': 'Anomaly Detected',
      account: ACCOUNT,
      region: 'us-east-1',
      time: '2026-11-05T09:00:00Z',
      resources: [],
      detail: {
        anomalyId: 'c0ffee00-1111-4222-8333-444455556666',
        anomalyStartDate: '2026-11-04T00:00:00Z',
        anomalyEndDate: '2026-11-04T00:00:00Z',
        dimensionValue: 'Amazon Elastic Compute Cloud - Compute',
        accountId: ACCOUNT,
        impact: { maxImpact: 587.52, totalImpact: 587.52, totalActualSpend: 907.52, totalExpectedSpend: 320 },
        rootCauses: [
          {
            linkedAccount: ACCOUNT,
            region: 'us-east-1',
            service: 'Amazon Elastic Compute Cloud - Compute',
            usageType: 'USE1-BoxUsage:p3.8xlarge',
            impact: { contribution: 587.52 },
          },
        ],
      },
    };
    await t.http.post('/v1/ingest/aws.cost-anomaly').set(t.auth).send(native).expect(200);
    const items = await anomalies();
    const mine = items.find((s) => s.source === 'minewatch.cost-detector');
    const theirs = items.find((s) => s.source === 'aws.cost-anomaly');
    assert.deepEqual(theirs.cost, { amount: 587.52, currency: 'USD' });
    assert.equal(mine.cost, null, 'superseded: no cost of its own');
    assert.equal(mine.severity, 'INFO');
    assert.match(mine.title, /reported by aws\.cost-anomaly/);
    assert.equal((await detectorRow(mine.id)).attributes.supersededBy, 'aws.cost-anomaly/c0ffee00-1111-4222-8333-444455556666');
    const total = items.reduce((sum, s) => sum + (s.cost?.amount ?? 0), 0);
    assert.equal(total, 587.52);
    assert.deepEqual(await incidentCost(), { amount: 587.52, currency: 'USD' }, 'the incident counts the spend once');

    // Sending the export again does not bring the detector's anomaly back.
    const res = await t.http.post('/v1/ingest/focus').set(t.auth).set('content-type', 'text/csv').send(body).expect(200);
    assert.equal(res.body.costAnomalies, 0);
    assert.equal((await anomalies()).find((s) => s.source === 'minewatch.cost-detector').cost, null);
  });

  /** Six weeks of two instances billed daily in `accountId`, one of which costs `spike` more on 2026-11-04. */
  const steady = (accountId: string, spike: number): FocusCharge[] =>
    days('2026-09-23', 43).flatMap((day) => [
      {
        day,
        accountId,
        service: EC2,
        region: 'us-east-1',
        resourceId: 'i-0aaaaaaaaaaaaaaa1',
        usageType: 'USE1-BoxUsage:g4dn.xlarge',
        cost: day === '2026-11-04' ? 50 + spike : 50,
      },
      {
        day,
        accountId,
        service: EC2,
        region: 'us-east-1',
        resourceId: 'i-0bbbbbbbbbbbbbbb2',
        usageType: 'USE1-BoxUsage:m5.large',
        cost: 100,
      },
    ]);
  const anomaliesOf = async (accountId: string) =>
    (await t.http.get(`/v1/signals?kind=cost_anomaly&account=${accountId}`).set(t.auth).expect(200)).body.items as any[];

  it('a spike on an instance with history is reported on that instance, and its totals do not repeat it', async () => {
    const res = await t.http
      .post('/v1/ingest/focus')
      .set(t.auth)
      .set('content-type', 'text/csv')
      .send(focusCsv(steady('777788889999', 600)))
      .expect(200);
    assert.equal(res.body.costAnomalies, 1);
    const [signal, ...others] = await anomaliesOf('777788889999');
    assert.deepEqual(others, []);
    assert.deepEqual(signal.cost, { amount: 600, currency: 'USD' });
    assert.deepEqual(
      signal.resources.map((r: any) => [r.type, r.id, r.instanceType]),
      [['aws.ec2.instance', 'i-0aaaaaaaaaaaaaaa1', 'g4dn.xlarge']],
    );
  });

  it('adds no anomaly of its own when the native one arrived first', async () => {
    const native = {
      anomalyId: 'native-first-1',
      anomalyStartDate: '2026-11-04',
      anomalyEndDate: '2026-11-04',
      accountId: '222233334444',
      dimensionalValue: 'Amazon Elastic Compute Cloud - Compute',
      impact: { totalImpact: 600, maxImpact: 600, totalActualSpend: 750, totalExpectedSpend: 150 },
      rootCauses: [
        {
          linkedAccount: '222233334444',
          region: 'US East (N. Virginia)',
          service: 'Amazon Elastic Compute Cloud - Compute',
          usageType: 'USE1-BoxUsage:g4dn.xlarge',
        },
      ],
    };
    await t.http.post('/v1/ingest/aws.cost-anomaly').set(t.auth).send(native).expect(200);
    const res = await t.http
      .post('/v1/ingest/focus')
      .set(t.auth)
      .set('content-type', 'text/csv')
      .send(focusCsv(steady('222233334444', 600)))
      .expect(200);
    assert.equal(res.body.costAnomalies, 0);
    assert.deepEqual(
      (await anomaliesOf('222233334444')).map((s) => [s.source, s.cost?.amount]),
      [['aws.cost-anomaly', 600]],
    );
  });

  it('accepts the same rows as JSON and as NDJSON', async () => {
    const rows = [
      {
        ChargePeriodStart: '2026-11-04T00:00:00Z',
        ChargePeriodEnd: '2026-11-05T00:00:00Z',
        ChargeCategory: 'Usage',
        BillingCurrency: 'USD',
        EffectiveCost: 10,
        ServiceProviderName: 'Google Cloud',
        HostProviderName: 'Google Cloud',
        ServiceName: 'Compute Engine',
        SubAccountId: 'proj-json',
        RegionId: 'us-central1',
      },
    ];
    const json = await t.http.post('/v1/ingest/focus').set(t.auth).send(rows).expect(200);
    assert.equal(json.body.costRows, 1);
    const nd = await t.http
      .post('/v1/ingest/focus')
      .set(t.auth)
      .set('content-type', 'application/x-ndjson')
      .send(rows.map((r) => JSON.stringify({ ...r, SubAccountId: 'proj-ndjson' })).join('\n') + '\n')
      .expect(200);
    assert.equal(nd.body.costRows, 1);
  });
});
