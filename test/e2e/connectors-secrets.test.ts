import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SCENARIO } from '#src/demo/leaked-key.scenario.js';
import { AwsFake } from '../fakes/aws-fake.js';
import { backfillDaysForScenario, leakedKeyAwsData } from '../fakes/aws-scenario.js';
import { connectorClient } from '../fakes/connector-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type ServiceProcess, startService } from '../support/process.js';

const ADMIN = 'mwk_secrets_test_admin_key_0123456789';
const ACCESS_KEY_ID = 'AKIAFAKESECRETSTEST1';
const SECRET_ACCESS_KEY = 'Sup3rS3cretAccessKey/ThatMustNeverLeak+0001';
const SESSION_TOKEN = 'FwoGZXIvYXdzEDoaDSessionTokenThatMustNeverLeak0002';
const EXTERNAL_ID = 'ext-id-MustNeverLeak-0003';
const WRONG_EXTERNAL_ID = 'ext-id-WrongAndMustNeverLeak-0004';
const SECRETS = [SECRET_ACCESS_KEY, SESSION_TOKEN, EXTERNAL_ID, WRONG_EXTERNAL_ID];
const ROLE = `arn:aws:iam::${SCENARIO.accountId}:role/MineWatchReader`;

describe('connector credentials never appear in logs, errors, API responses or the database', () => {
  let db: TestDatabase;
  let dataDir: string;
  let service: ServiceProcess;
  let fake: AwsFake;
  const responses: string[] = [];

  before(async () => {
    fake = await new AwsFake(leakedKeyAwsData(), {
      accessKeyId: ACCESS_KEY_ID,
      role: { roleArn: ROLE, externalId: EXTERNAL_ID },
      echoExternalIdInErrors: true,
    }).start();
    // Throttling makes the service log its retries (debug), with the call that was retried.
    fake.faults.push({ operation: 'guardduty:ListFindings', kind: 'throttle', times: 2 });
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'minewatch-secrets-'));
    service = await startService({
      DATABASE_URL: db.url,
      MINEWATCH_API_KEY: ADMIN,
      MINEWATCH_DATA_DIR: dataDir,
      MINEWATCH_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      MINEWATCH_CONNECTOR_RETRY_BASE_MS: '5',
      LOG_LEVEL: 'trace',
    });
  });
  after(async () => {
    service?.child.kill('SIGTERM');
    await service?.waitForExit();
    await fake?.stop();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs with an assumed role and reports a refused one, without ever showing a secret', async () => {
    const client = connectorClient(service.url, ADMIN);
    const record = async (method: string, path: string, body?: unknown) => {
      const res = await client.request(method, path, body);
      responses.push(res.text);
      return res;
    };
    const base = {
      provider: 'aws',
      scopes: [SCENARIO.accountId],
      regions: ['us-east-1'],
      collect: ['guardduty'],
      backfillDays: Math.max(35, backfillDaysForScenario()),
      endpoint: fake.url,
      credentials: { source: 'static', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, sessionToken: SESSION_TOKEN },
    };
    const good = await record('POST', '/v1/connectors', {
      ...base,
      name: 'assumes its role',
      assumeRole: { roleArn: 'arn:aws:iam::{accountId}:role/MineWatchReader', externalId: EXTERNAL_ID },
    });
    assert.equal(good.status, 201, good.text);
    const bad = await record('POST', '/v1/connectors', {
      ...base,
      name: 'wrong external id',
      assumeRole: { roleArn: ROLE, externalId: WRONG_EXTERNAL_ID },
    });
    assert.equal(bad.status, 201, bad.text);
    const goodId = (good.body as { id: string }).id;
    const badId = (bad.body as { id: string }).id;
    assert.deepEqual((good.body as { assumeRole: unknown }).assumeRole, {
      roleArn: 'arn:aws:iam::{accountId}:role/MineWatchReader',
      externalIdSet: true,
    });

    const [goodRun] = await client.finishedRuns(goodId, 1);
    assert.equal(goodRun!.status, 'succeeded', JSON.stringify(goodRun));
    assert.equal(goodRun!.throttled, 2);
    const [badRun] = await client.finishedRuns(badId, 1);
    assert.equal(badRun!.status, 'failed');
    // The role was assumed with the external id, and every call after used the role's key.
    assert.ok(fake.calls.some((c) => c.operation === 'sts:AssumeRole' && c.status === 200));
    assert.ok(
      fake.calls
        .filter((c) => c.operation.startsWith('guardduty:') && c.status < 300)
        .every((c) => c.principal?.startsWith('ASIAFAKETEMPORARY')),
    );

    const status = await record('GET', `/v1/connectors/${badId}`);
    const lastError = (status.body as { lastError: string }).lastError;
    assert.match(lastError, /AccessDenied/);
    assert.match(lastError, /\[redacted\]/, 'the external id the cloud quoted back was cut out');

    await record('GET', '/v1/connectors');
    await record('GET', `/v1/connectors/${goodId}`);
    await record('GET', `/v1/connectors/${goodId}/runs`);
    await record('GET', `/v1/connectors/${badId}/runs`);
    await record('PATCH', `/v1/connectors/${goodId}`, { name: 'renamed' });
    const gql = await record('POST', '/graphql', {
      query:
        '{ connectors { id name lastError credentials { source secretsStored accessKeyIdHint } assumeRole { roleArn externalIdSet } } }',
    });
    assert.equal(gql.status, 200, gql.text);
    const refused = await record('POST', '/v1/connectors', {
      ...base,
      name: 'bad',
      credentials: { source: 'token', token: SECRET_ACCESS_KEY },
    });
    assert.equal(refused.status, 400);
  });

  it('no secret is in any response, log line or table', async () => {
    for (const text of responses)
      for (const secret of SECRETS) assert.ok(!text.includes(secret), `a response showed ${secret.slice(0, 8)}…`);
    const logs = service.output();
    assert.ok(logs.includes('retrying a cloud call'), 'the service logged at trace level');
    for (const secret of SECRETS) assert.ok(!logs.includes(secret), `the log showed ${secret.slice(0, 8)}…`);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const tables = await client.query<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'`,
      );
      assert.ok(tables.rows.some((t) => t.name === 'connectors'));
      for (const t of tables.rows) {
        const { rows } = await client.query<{ row: string }>(`SELECT x::text AS row FROM "${t.schema}"."${t.name}" x`);
        for (const { row } of rows)
          for (const secret of SECRETS) assert.ok(!row.includes(secret), `${t.schema}.${t.name} holds ${secret.slice(0, 8)}…`);
      }
      const sealed = await client.query<{ secrets_sealed: string }>(`SELECT secrets_sealed FROM connectors`);
      assert.ok(
        sealed.rows.every((r) => r.secrets_sealed.startsWith('v1.')),
        'secrets are sealed',
      );
    } finally {
      await client.end();
    }
  });
});
