import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type ServiceProcess, startService } from '../support/process.js';

const KEY = 'mwk_replica_test_admin_key_0123456789';
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

/** One campaign per account: a launch by a leaked key, findings on its instances, a cost anomaly. */
function campaign(account: string, instances: number): unknown[] {
  const ids = Array.from({ length: instances }, (_, i) => `i-${account.slice(-4)}${String(i).padStart(4, '0')}`);
  const resource = (id: string) => ({
    provider: 'aws',
    accountId: account,
    region: 'us-east-1',
    type: 'aws.ec2.instance',
    id,
    instanceType: 'g4dn.xlarge',
  });
  return [
    {
      source: 'aws.cloudtrail',
      sourceId: `${account}-run`,
      kind: 'provisioning',
      provider: 'aws',
      accountId: account,
      region: 'us-east-1',
      observedAt: '2026-11-20T09:00:00Z',
      title: 'RunInstances',
      resources: ids.map(resource),
      principal: { identity: `arn:aws:iam::${account}:user/dev`, accessKeyId: `AKIA${account}`, sourceIp: '203.0.113.9' },
      attributes: { eventName: 'RunInstances', costIncurring: true },
    },
    ...ids.map((id) => ({
      source: 'aws.guardduty',
      sourceId: `${account}-${id}`,
      kind: 'security_finding',
      provider: 'aws',
      accountId: account,
      region: 'us-east-1',
      observedAt: '2026-11-20T10:00:00Z',
      title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
      mining: true,
      resources: [resource(id)],
    })),
    {
      source: 'aws.cost-anomaly',
      sourceId: `${account}-anomaly`,
      kind: 'cost_anomaly',
      provider: 'aws',
      accountId: account,
      observedAt: '2026-11-20T00:00:00Z',
      observedUntil: '2026-11-20T23:59:59Z',
      title: 'EC2 spend',
      cost: { amount: 1000, currency: 'USD' },
      attributes: { service: 'Amazon Elastic Compute Cloud - Compute' },
    },
  ];
}

async function post(url: string, body: unknown[]): Promise<void> {
  const res = await fetch(`${url}/v1/ingest/signals`, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
}

async function runTopology(roles: string[]): Promise<void> {
  const db: TestDatabase = await createTestDatabase({ migrate: false });
  const dirs: string[] = [];
  const procs: ServiceProcess[] = [];
  try {
    // Started together: each applies migrations under the advisory lock, once between them.
    const started = await Promise.all(
      roles.map((role) => {
        const dir = mkdtempSync(join(tmpdir(), 'minewatch-replica-'));
        dirs.push(dir);
        return startService({
          DATABASE_URL: db.url,
          MINEWATCH_ROLE: role,
          MINEWATCH_API_KEY: KEY,
          MINEWATCH_DATA_DIR: dir,
          MINEWATCH_CORRELATION_POLL_MS: '200',
        });
      }),
    );
    procs.push(...started);
    const apis = procs.filter((_, i) => roles[i] !== 'worker');
    const worker = procs.find((_, i) => roles[i] === 'worker');
    if (worker) {
      assert.equal((await fetch(`${worker.url}/readyz`)).status, 200);
      assert.equal((await fetch(`${worker.url}/v1/incidents`, { headers })).status, 404, 'a worker serves no API');
    }
    const accounts = ['111100001111', '222200002222', '333300003333'];
    // Overlapping campaigns, each sent whole to every API replica at once, in different orders.
    await Promise.all(
      apis.flatMap((api, n) =>
        accounts.map((account) => {
          const items = campaign(account, 8);
          return post(api.url, n % 2 === 0 ? items : [...items].reverse());
        }),
      ),
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (let i = 0; ; i++) {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM signals WHERE correlated_at IS NULL');
        if (rows[0]!.n === 0) break;
        assert.ok(i < 300, 'correlation finished');
        await new Promise((r) => setTimeout(r, 100));
      }
      const signals = await client.query<{ n: number; distinct_items: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT (source, source_id))::int AS distinct_items FROM signals',
      );
      assert.deepEqual(signals.rows[0], { n: 30, distinct_items: 30 }, 'each item stored once');
      const incidents = await client.query<{ accounts: string[]; evidence: number; cost: string }>(
        `SELECT i.accounts, count(e.signal_id)::int AS evidence, i.cost_amount::text AS cost FROM incidents i
         JOIN incident_evidence e ON e.incident_id = i.id WHERE i.merged_into_id IS NULL GROUP BY i.id ORDER BY i.accounts`,
      );
      assert.deepEqual(
        incidents.rows.map((r) => [r.accounts, r.evidence, Number(r.cost)]),
        accounts.map((a) => [[a], 10, 1000]),
        'one incident per campaign, holding all of its signals',
      );
      const migrations = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
      assert.ok(migrations.rows[0]!.n >= 1);
    } finally {
      await client.end();
    }
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.waitForExit()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db.drop();
  }
}

describe('replicas on one PostgreSQL', () => {
  it('two api and one worker: no duplicate signals or incidents under concurrent overlapping ingest', async () => {
    await runTopology(['api', 'api', 'worker']);
  });

  it('three "all" processes: the same', async () => {
    await runTopology(['all', 'all', 'all']);
  });
});
