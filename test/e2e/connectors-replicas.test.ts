import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { SCENARIO } from '#src/demo/leaked-key.scenario.js';
import { TICK_CRON, TICK_QUEUE } from '#src/modules/connectors-admin/connector-scheduler.js';
import { AwsFake } from '../fakes/aws-fake.js';
import { backfillDaysForScenario, leakedKeyAwsData } from '../fakes/aws-scenario.js';
import { connectorClient } from '../fakes/connector-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type ServiceProcess, startService } from '../support/process.js';

const ADMIN = 'mwk_connector_replicas_admin_key_0123';
const ACCESS_KEY_ID = 'AKIAFAKEREPLICAS0001';
const TICKS = 3;
/** Every replica gets several ticks of the same slot at once: worse than pg-boss cron, which sends one. */
const TICKS_PER_SLOT = 9;

describe('three replicas on one PostgreSQL: each scheduled tick runs once', () => {
  let db: TestDatabase;
  let fake: AwsFake;
  let sql: pg.Client;
  let boss: PgBoss;
  const dirs: string[] = [];
  const replicas: ServiceProcess[] = [];

  before(async () => {
    fake = await new AwsFake(leakedKeyAwsData(), { accessKeyId: ACCESS_KEY_ID }).start();
    db = await createTestDatabase({ migrate: false });
    // Credentials from the SDK's default chain: the environment of each replica.
    const env = {
      DATABASE_URL: db.url,
      MINEWATCH_ROLE: 'all',
      MINEWATCH_API_KEY: ADMIN,
      MINEWATCH_CONNECTOR_RETRY_BASE_MS: '5',
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'replicasSecretKey00000000000000000000000',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    replicas.push(
      ...(await Promise.all(
        [0, 1, 2].map(() => {
          const dir = mkdtempSync(join(tmpdir(), 'minewatch-connector-replica-'));
          dirs.push(dir);
          return startService({ ...env, MINEWATCH_DATA_DIR: dir });
        }),
      )),
    );
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    boss = new PgBoss({ connectionString: db.url, schema: 'pgboss', supervise: false, schedule: false });
    await boss.start();
  });
  after(async () => {
    await boss?.stop({ graceful: false });
    await sql?.end();
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.waitForExit()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await fake?.stop();
    await db?.drop();
  });

  it('schedules through pg-boss cron, and concurrent ticks on every replica dispatch one run per connector and tick', async () => {
    const schedule = await sql.query<{ cron: string }>(`SELECT cron FROM pgboss.schedule WHERE name = $1`, [TICK_QUEUE]);
    assert.deepEqual(schedule.rows, [{ cron: TICK_CRON }], 'one cron schedule, however many replicas registered it');

    const client = connectorClient(replicas[0]!.url, ADMIN);
    const { id } = await client.create({
      name: 'replicated',
      provider: 'aws',
      scopes: [SCENARIO.accountId],
      regions: ['us-east-1', 'us-west-2'],
      collect: ['cloudtrail', 'guardduty'],
      intervalMinutes: 1,
      backfillDays: Math.max(35, backfillDaysForScenario()),
      endpoint: fake.url,
    });
    await client.finishedRuns(id, 1);

    for (let tick = 1; tick <= TICKS; tick++) {
      // The interval has passed: the connector's next tick is due now …
      await sql.query(`UPDATE connectors SET next_run_at = now() - interval '1 second' WHERE id = $1`, [id]);
      // … and every replica gets ticks for it at once.
      await Promise.all(Array.from({ length: TICKS_PER_SLOT }, () => boss.send(TICK_QUEUE, {})));
      await client.finishedRuns(id, tick + 1);
      // Wait until every tick job of this slot has been handled, so a late duplicate would show.
      for (let i = 0; ; i++) {
        const { rows } = await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
          [TICK_QUEUE],
        );
        if (rows[0]!.n === 0) break;
        assert.ok(i < 600, 'tick jobs were handled');
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const runs = await client.runs(id);
    assert.equal(runs.length, TICKS + 1, `one run per tick: ${JSON.stringify(runs.map((r) => [r.trigger, r.status]))}`);
    assert.ok(runs.every((r) => r.trigger === 'schedule' && r.status === 'succeeded'));
    assert.equal(new Set(runs.map((r) => r.slot)).size, TICKS + 1, 'each run is a different tick');
    const perSlot = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM connector_runs GROUP BY connector_id, trigger, slot`);
    assert.ok(perSlot.rows.every((r) => r.n === 1));
    assert.deepEqual(fake.duplicates(), [], 'no window fetched twice across replicas');
    const signals = await sql.query<{ n: number; distinct_items: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (source, source_id))::int AS distinct_items FROM signals`,
    );
    assert.equal(signals.rows[0]!.n, signals.rows[0]!.distinct_items);
    // 14 + 12 findings; RunInstances: the refused first try and two launches in us-east-1, two in us-west-2.
    assert.equal(signals.rows[0]!.n, 14 + 12 + 3 + 2, 'findings and RunInstances calls of two regions, once each');
  });
});
