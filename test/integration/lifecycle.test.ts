import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import type { Signal } from '#src/connectors/signal.js';
import { CorrelationService } from '#src/modules/correlation/correlation.service.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';
import { SuppressionsService } from '#src/modules/suppressions/suppressions.service.js';
import { startTestApp, type TestApp } from '../support/app.js';

function signal(over: Partial<Signal> & Pick<Signal, 'sourceId' | 'kind' | 'accountId'>): Signal {
  return {
    source: 'signals',
    sourceVersion: '1',
    provider: 'aws',
    region: 'us-east-1',
    observedAt: '2026-11-20T10:00:00.000Z',
    observedUntil: '2026-11-20T10:00:00.000Z',
    severity: 'HIGH',
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

const onInstance = (account: string, id: string) => [
  { provider: 'aws' as const, accountId: account, region: 'us-east-1', type: 'aws.ec2.instance', id },
];
const miner = (account: string, id: string, instance: string, at = '2026-11-20T10:00:00.000Z') =>
  signal({
    sourceId: id,
    kind: 'security_finding',
    accountId: account,
    mining: true,
    resources: onInstance(account, instance),
    observedAt: at,
    observedUntil: at,
    attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
  });
const spend = (account: string, id: string, amount: number) =>
  signal({
    sourceId: id,
    kind: 'cost_anomaly',
    accountId: account,
    observedAt: '2026-11-20T00:00:00.000Z',
    observedUntil: '2026-11-20T23:59:59.000Z',
    cost: { amount, currency: 'USD' },
    attributes: { service: 'Amazon Elastic Compute Cloud - Compute' },
  });

describe('incident lifecycle and suppression on the real database', () => {
  let t: TestApp;
  let ingest: (s: Signal[]) => Promise<void>;
  let incidents: IncidentsService;
  before(async () => {
    t = await startTestApp({ MINEWATCH_CORRELATION_POLL_MS: '3600000' });
    incidents = t.app.get(IncidentsService);
    ingest = async (s) => {
      await t.app.get(IngestionService).store(s);
      await t.app.get(CorrelationService).drain();
    };
  });
  after(async () => t.close());

  async function incidentOf(account: string) {
    const page = await incidents.list({ account }, 10);
    assert.equal(page.items.length, 1, `one incident for ${account}`);
    return page.items[0]!;
  }

  it('late cost data attaches to a resolved incident without reopening it; new mining evidence reopens it', async () => {
    await ingest([miner('100000000001', 'm1', 'i-r1')]);
    const opened = await incidentOf('100000000001');
    await incidents.transition(opened.id, 'RESOLVED', 'instance terminated', 'analyst');
    await ingest([spend('100000000001', 'c1', 4200)]);
    let now = await incidentOf('100000000001');
    assert.equal(now.status, 'RESOLVED');
    assert.equal(now.costAmount, 4200);
    await ingest([miner('100000000001', 'm2', 'i-r1', '2026-11-21T10:00:00.000Z')]);
    now = await incidentOf('100000000001');
    assert.equal(now.status, 'OPEN');
    const timeline = (await incidents.events(now.id)).map((e) => [e.type, e.actor, e.data['to'] ?? null]);
    assert.deepEqual(
      timeline.filter(([type]) => type === 'incident.status_changed'),
      [
        ['incident.status_changed', 'analyst', 'RESOLVED'],
        ['incident.status_changed', 'correlation-engine', 'OPEN'],
      ],
    );
  });

  it('a false positive keeps new matching evidence without re-alerting', async () => {
    await ingest([miner('100000000002', 'fp1', 'i-fp')]);
    const fp = await incidentOf('100000000002');
    await incidents.transition(fp.id, 'FALSE_POSITIVE', 'pentest', 'analyst');
    await ingest([miner('100000000002', 'fp2', 'i-fp', '2026-11-20T12:00:00.000Z')]);
    const now = await incidentOf('100000000002');
    assert.equal(now.status, 'FALSE_POSITIVE');
    assert.equal((await incidents.evidence([now.id])).length, 2);
  });

  it('suppression rules keep matching new signals out of incidents and show what they suppressed', async () => {
    const rule = await t.app.get(SuppressionsService).create(
      {
        name: 'mining research lab',
        reason: 'sanctioned research on mining malware',
        match: { accountId: '100000000003', resourcePattern: 'i-lab*' },
        expiresAt: null,
      },
      'analyst',
    );
    await ingest([miner('100000000003', 'lab1', 'i-lab01'), miner('100000000003', 'real1', 'i-prod01')]);
    const only = await incidentOf('100000000003');
    const evidence = await incidents.evidence([only.id]);
    assert.deepEqual(
      evidence.map((e) => e.signal.sourceId),
      ['real1'],
      'the lab finding joined nothing',
    );
    const listed = (await t.http.get(`/v1/suppressions/${rule.id}`).set(t.auth).expect(200)).body;
    assert.equal(listed.suppressedCount, 1);
    assert.deepEqual(
      listed.suppressedSignals.map((s: { sourceId: string; suppressedBy: string }) => [s.sourceId, s.suppressedBy]),
      [['lab1', rule.id]],
    );
    await t.http
      .post('/v1/suppressions')
      .set(t.auth)
      .send({ name: 'everything', reason: 'x', match: { provider: 'aws' } })
      .expect(400);
    await t.http.delete(`/v1/suppressions/${rule.id}`).set(t.auth).expect(204);
    await ingest([miner('100000000003', 'lab2', 'i-lab02', '2026-11-20T11:00:00.000Z')]);
    assert.equal((await incidents.evidence([only.id])).length, 2, 'after disabling, the rule no longer applies');
  });

  it('a campaign returning after the correlation window opens a new incident linked to the closed one', async () => {
    await ingest([miner('100000000004', 'old1', 'i-back')]);
    const old = await incidentOf('100000000004');
    await incidents.transition(old.id, 'RESOLVED', undefined, 'analyst');
    // Closed a month ago, beyond the window in which new evidence reopens an incident.
    await t.app.get(DataSource).query(`UPDATE incidents SET status_changed_at = now() - interval '30 days' WHERE id = $1`, [old.id]);
    await ingest([miner('100000000004', 'new1', 'i-back', '2026-11-28T10:00:00.000Z')]);
    const page = await incidents.list({ account: '100000000004' }, 10);
    assert.equal(page.items.length, 2);
    const fresh = page.items.find((i) => i.id !== old.id)!;
    assert.equal(fresh.status, 'OPEN');
    assert.equal(fresh.relatedIncidentId, old.id);
  });
});

describe('signal retention', () => {
  it('deletes old signals that are evidence of nothing, and keeps evidence and recent ones', async () => {
    const { SignalRetentionService } = await import('#src/modules/signals/signal-retention.service.js');
    const t = await startTestApp({ MINEWATCH_SIGNAL_RETENTION_DAYS: '30', MINEWATCH_CORRELATION_POLL_MS: '3600000' });
    try {
      const ingestion = t.app.get(IngestionService);
      await ingestion.store([
        miner('200000000001', 'old-evidence', 'i-ret1', '2026-01-05T10:00:00.000Z'),
        signal({
          sourceId: 'old-noise',
          kind: 'utilization',
          accountId: '200000000001',
          observedAt: '2026-01-05T10:00:00.000Z',
          observedUntil: '2026-01-05T11:00:00.000Z',
        }),
        signal({
          sourceId: 'recent-noise',
          kind: 'utilization',
          accountId: '200000000001',
          observedAt: '2026-11-20T10:00:00.000Z',
          observedUntil: '2026-11-20T11:00:00.000Z',
        }),
      ]);
      await t.app.get(CorrelationService).drain();
      const deleted = await t.app.get(SignalRetentionService).purge(new Date('2026-11-28T00:00:00.000Z'));
      assert.equal(deleted, 1);
      const left = (await t.http.get('/v1/signals?limit=100').set(t.auth).expect(200)).body.items
        .map((s: { sourceId: string }) => s.sourceId)
        .sort();
      assert.deepEqual(left, ['old-evidence', 'recent-noise']);
    } finally {
      await t.close();
    }
  });
});

describe('cost retention', () => {
  it('deletes daily cost older than MINEWATCH_COST_RETENTION_DAYS and moves each series start to the cutoff', async () => {
    const { CostRetentionService } = await import('#src/modules/cost/cost-retention.service.js');
    const t = await startTestApp({ MINEWATCH_COST_RETENTION_DAYS: '60', MINEWATCH_CORRELATION_POLL_MS: '3600000' });
    try {
      const rows = ['2026-08-01', '2026-09-28', '2026-09-29', '2026-11-27'].map((day) => ({
        provider: 'aws' as const,
        accountId: '300000000001',
        source: 'focus',
        day,
        service: 'Amazon Elastic Compute Cloud',
        region: 'us-east-1',
        resourceId: 'i-0retention',
        usageType: 'BoxUsage:m5.large',
        amount: 10,
        currency: 'USD',
      }));
      await t.app.get(IngestionService).storeCostRows(rows);
      const ds = t.app.get(DataSource);
      const days = async () =>
        (
          (await ds.query(
            `SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS day FROM cost_daily WHERE series_key IN (SELECT series_key FROM cost_series WHERE account_id = '300000000001') ORDER BY 1`,
          )) as Array<{ day: string }>
        ).map((r) => r.day);
      assert.deepEqual(await days(), ['2026-08-01', '2026-09-28', '2026-09-29', '2026-11-27']);
      // 60 days before 2026-11-28 is 2026-09-29: the two days before it go, at every series level.
      const deleted = await t.app.get(CostRetentionService).purge(new Date('2026-11-28T00:00:00.000Z'));
      assert.equal(deleted, 2 * 3, 'two days of the resource, service and account series');
      assert.deepEqual(await days(), ['2026-09-29', '2026-11-27']);
      const starts = (await ds.query(
        `SELECT DISTINCT to_char(first_day, 'YYYY-MM-DD') AS d FROM cost_series WHERE account_id = '300000000001'`,
      )) as Array<{ d: string }>;
      assert.deepEqual(
        starts.map((r) => r.d),
        ['2026-09-29'],
      );
    } finally {
      await t.close();
    }
  });
});
