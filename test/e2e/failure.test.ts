import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';
import { createTestDatabase } from '../support/database.js';
import { freePort, type ServiceProcess, startService } from '../support/process.js';

const KEY = 'mwk_failure_test_admin_key_0123456789';
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

function batch(prefix: string, n: number, account = '123123123123') {
  return Array.from({ length: n }, (_, i) => ({
    sourceId: `${prefix}-${i}`,
    kind: 'security_finding',
    provider: 'aws',
    accountId: account,
    region: 'us-east-1',
    observedAt: '2026-11-20T10:00:00Z',
    title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    mining: true,
    resources: [{ provider: 'aws', accountId: account, region: 'us-east-1', type: 'aws.ec2.instance', id: `i-${prefix}-${i}` }],
  }));
}

function service(url: string, role: string, dir: string): Promise<ServiceProcess> {
  return startService({
    DATABASE_URL: url,
    MINEWATCH_ROLE: role,
    MINEWATCH_API_KEY: KEY,
    MINEWATCH_DATA_DIR: dir,
    MINEWATCH_CORRELATION_POLL_MS: '200',
  });
}

describe('failure: kill -9 and a PostgreSQL restart', () => {
  it('loses nothing acknowledged when the process is killed with -9 in the middle of ingest', async () => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'minewatch-fail-'));
    try {
      const first = await service(db.url, 'api', dir);
      const acknowledged: string[] = [];
      let n = 0;
      const sender = (async () => {
        for (;;) {
          const prefix = `b${n++}`;
          try {
            const res = await fetch(`${first.url}/v1/ingest/signals`, {
              method: 'POST',
              headers,
              body: JSON.stringify(batch(prefix, 200)),
            });
            if (res.status === 200) acknowledged.push(prefix);
          } catch {
            return; // the process is gone
          }
        }
      })();
      while (acknowledged.length < 5) await new Promise((r) => setTimeout(r, 20));
      first.child.kill('SIGKILL');
      await sender;
      await first.waitForExit();

      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ prefix: string; n: number }>(
        `SELECT split_part(source_id, '-', 1) AS prefix, count(*)::int AS n FROM signals GROUP BY 1`,
      );
      await client.end();
      const stored = new Map(rows.map((r) => [r.prefix, r.n]));
      for (const prefix of acknowledged) assert.equal(stored.get(prefix), 200, `acknowledged batch ${prefix} is complete`);
      for (const [prefix, count] of stored) assert.equal(count, 200, `batch ${prefix} is all or nothing`);

      // The restarted service correlates what the dead one stored but never got to.
      const second = await service(db.url, 'all', dir);
      try {
        for (let i = 0; ; i++) {
          const status = (await (await fetch(`${second.url}/v1/status`, { headers })).json()) as {
            signals: { total: number; pendingCorrelation: number };
            incidents: { total: number };
          };
          if (status.signals.pendingCorrelation === 0) {
            assert.equal(status.incidents.total, 1, 'one account, one campaign');
            break;
          }
          assert.ok(i < 300, 'correlation catches up');
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        second.child.kill('SIGTERM');
        await second.waitForExit();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });

  it('reports not ready while PostgreSQL is down and recovers alone when it returns', async () => {
    const pgDir = mkdtempSync(join(tmpdir(), 'minewatch-pgrestart-'));
    const appDir = mkdtempSync(join(tmpdir(), 'minewatch-fail-'));
    chmodSync(pgDir, 0o755);
    const port = await freePort();
    let server = await startEmbeddedPostgres({ dataDir: pgDir, port });
    let proc: ServiceProcess | null = null;
    try {
      proc = await service(server.url, 'all', appDir);
      assert.equal((await fetch(`${proc.url}/readyz`)).status, 200);
      await server.stop();
      let ready = 200;
      for (let i = 0; i < 50 && ready === 200; i++) {
        ready = (await fetch(`${proc.url}/readyz`)).status;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(ready, 503, '/readyz reflects the outage');
      assert.equal((await fetch(`${proc.url}/healthz`)).status, 200, 'the process itself stays alive');
      const refused = await fetch(`${proc.url}/v1/ingest/signals`, { method: 'POST', headers, body: JSON.stringify(batch('down', 1)) });
      assert.ok(refused.status >= 500, 'no 2xx for data that could not be committed');

      server = await startEmbeddedPostgres({ dataDir: pgDir, port });
      for (let i = 0; ; i++) {
        if ((await fetch(`${proc.url}/readyz`)).status === 200) break;
        assert.ok(i < 300, 'ready again');
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await fetch(`${proc.url}/v1/ingest/signals`, { method: 'POST', headers, body: JSON.stringify(batch('after', 3)) });
      assert.equal(res.status, 200, await res.text());
    } finally {
      if (proc) {
        proc.child.kill('SIGTERM');
        await proc.waitForExit();
      }
      await server.stop().catch(() => undefined);
      rmSync(pgDir, { recursive: true, force: true });
      rmSync(appDir, { recursive: true, force: true });
    }
  });
});
