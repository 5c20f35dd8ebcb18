import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SCENARIO } from '#src/demo/leaked-key.scenario.js';
import { AwsFake } from '../fakes/aws-fake.js';
import { backfillDaysForScenario, leakedKeyAwsData } from '../fakes/aws-scenario.js';
import { connectorClient } from '../fakes/connector-client.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

const ACCESS_KEY_ID = 'AKIAFAKERESILIENCE01';

/** The scenario with GuardDuty findings that do not say the instance type: EC2 must tell it. */
function dataWithoutTypes() {
  const data = leakedKeyAwsData();
  for (const { finding } of data.findings) {
    delete ((finding['resource'] as Record<string, unknown>)['instanceDetails'] as Record<string, unknown>)['instanceType'];
  }
  return data;
}

describe('pull connector under a cloud that pushes back: throttling and a failing page', () => {
  let t: TestApp;
  let fake: AwsFake;
  let client: ReturnType<typeof connectorClient>;
  let connectorId: string;

  before(async () => {
    fake = await new AwsFake(dataWithoutTypes(), { accessKeyId: ACCESS_KEY_ID }).start();
    fake.faults.push(
      { operation: 'guardduty:ListFindings', kind: 'throttle', times: 2 },
      { operation: 'cloudwatch:GetMetricData', kind: 'throttle', times: 2 },
      { operation: 'ec2:DescribeInstances', kind: 'throttle', times: 1 },
      // More failures than a run retries: the first run stops at this page, the next resumes at it.
      { operation: 'guardduty:ListFindings', kind: 'error', times: 8, page: 2, region: 'us-east-1' },
    );
    t = await startTestApp({ MINEWATCH_CONNECTOR_RETRY_BASE_MS: '5' });
    client = connectorClient(t.baseUrl, ADMIN_KEY);
  });
  after(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('the first run retries throttling, records the failing page on the status and keeps everything else', async () => {
    connectorId = (
      await client.create({
        name: 'throttled AWS',
        provider: 'aws',
        scopes: [SCENARIO.accountId],
        regions: Object.keys(SCENARIO.regions),
        collect: ['guardduty', 'cloudwatch'],
        backfillDays: Math.max(35, backfillDaysForScenario()),
        endpoint: fake.url,
        credentials: { source: 'static', accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'resilienceSecretKey000000000000000000000' },
      })
    ).id;
    const [run] = await client.finishedRuns(connectorId, 1);
    assert.equal(run!.status, 'partial', JSON.stringify(run));
    assert.ok(run!.throttled >= 5, `throttling answers were retried (${run!.throttled})`);
    const guardduty = run!.streams.find((s) => s.stream === 'guardduty')!;
    assert.match(guardduty.error ?? '', /^guardduty 123456789012\/us-east-1: InternalServerErrorException/);
    assert.equal(guardduty.items, 50 - 4, 'every finding but the failing page of us-east-1');

    const status = (await client.request('GET', `/v1/connectors/${connectorId}`)).body as Record<string, unknown>;
    assert.equal(status['lastRunStatus'], 'partial');
    assert.match(String(status['lastError']), /InternalServerErrorException/);
    assert.equal(status['lastSuccessAt'], null);
  });

  it('the next run resumes at the failed page, and the two runs together are complete and duplicate-free', async () => {
    const firstPageCalls = fake.succeeded('guardduty:ListFindings').filter((c) => c.region === 'us-east-1').length;
    await client.request('POST', `/v1/connectors/${connectorId}/run`);
    const runs = await client.finishedRuns(connectorId, 2);
    assert.equal(runs[0]!.status, 'succeeded', JSON.stringify(runs[0]));
    const usEast = fake.succeeded('guardduty:ListFindings').filter((c) => c.region === 'us-east-1');
    assert.equal(usEast.length, firstPageCalls + 1 + 1, 'the failed page, then the newer window: page 1 was not fetched again');
    assert.deepEqual(fake.duplicates(), [], 'no window or page fetched twice');

    const status = (await client.request('GET', `/v1/connectors/${connectorId}`)).body as Record<string, unknown>;
    assert.equal(status['lastRunStatus'], 'succeeded');
    assert.equal(status['lastError'], null);

    await t.settle();
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ source: string; n: number; distinct_items: number }>(
        `SELECT source, count(*)::int AS n, count(DISTINCT source_id)::int AS distinct_items FROM signals GROUP BY source ORDER BY source`,
      );
      const bySource = Object.fromEntries(rows.map((r) => [r.source, r]));
      assert.equal(bySource['aws.guardduty']?.n, 50, 'all 50 findings, once each');
      assert.equal(bySource['aws.guardduty']?.distinct_items, 50);
      assert.equal(bySource['aws.cloudwatch']?.n, bySource['aws.cloudwatch']?.distinct_items);
    } finally {
      await db.end();
    }
    // CloudWatch followed every instance the findings named, and EC2 told their type.
    const cpu = (await t.http.get('/v1/signals?source=aws.cloudwatch&limit=100').set(t.auth).expect(200)).body as {
      items: Array<{ resources: Array<{ id: string; instanceType: string | null }> }>;
    };
    const typed = new Set(
      cpu.items
        .flatMap((s) => s.resources)
        .filter((r) => r.instanceType === SCENARIO.instanceType)
        .map((r) => r.id),
    );
    assert.equal(typed.size, 50);
    assert.ok(
      fake.succeeded('ec2:DescribeInstances').some((c) => !c.key.endsWith('/0')),
      'DescribeInstances answered in two pages',
    );
  });
});
