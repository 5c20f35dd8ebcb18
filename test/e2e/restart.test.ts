import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startService } from '../support/process.js';

describe('the service process on its embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-restart-'));
  chmodSync(dataDir, 0o755);
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a bootstrap admin key, survives kill -9 and keeps its data', async () => {
    const first = await startService({ MINEWATCH_DATA_DIR: dataDir });
    const keyFile = join(dataDir, 'admin.key');
    const key = readFileSync(keyFile, 'utf8').trim();
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(first.output().includes(key), 'the key is printed once on first start');
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({
      sourceId: 'kept-1',
      kind: 'utilization',
      provider: 'gcp',
      accountId: 'proj-1',
      observedAt: '2026-11-20T10:00:00Z',
      title: 'cpu',
    });
    const posted = await fetch(`${first.url}/v1/ingest/signals`, { method: 'POST', headers: auth, body });
    assert.equal(posted.status, 200);

    // A postmaster orphaned by kill -9 keeps the data directory locked; start-up must clear it.
    first.child.kill('SIGKILL');
    await first.waitForExit();
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    assert.doesNotThrow(() => process.kill(postmaster, 0), 'the orphaned postmaster is still running');

    const second = await startService({ MINEWATCH_DATA_DIR: dataDir });
    try {
      assert.ok(!second.output().includes(key), 'the key is not printed again');
      const list = await fetch(`${second.url}/v1/signals?provider=gcp`, { headers: auth });
      assert.equal(list.status, 200);
      const page = (await list.json()) as { items: Array<{ sourceId: string }> };
      assert.deepEqual(
        page.items.map((s) => s.sourceId),
        ['kept-1'],
      );
      const again = await fetch(`${second.url}/v1/ingest/signals`, { method: 'POST', headers: auth, body });
      assert.equal(((await again.json()) as { duplicates: number }).duplicates, 1);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await second.waitForExit(), 0, 'SIGTERM shuts down cleanly');
    }
    // A clean shutdown stops PostgreSQL too.
    assert.throws(() => execFileSync('pgrep', ['-f', join(dataDir, 'pg')]), 'no postgres left running');
  });

  it('refuses to start with every bad variable named', async () => {
    let out = '';
    try {
      execFileSync(process.execPath, [join(process.cwd(), 'dist/src/main.js')], {
        env: { ...process.env, PORT: 'x', MINEWATCH_ROLE: 'boss', MINEWATCH_DATA_DIR: dataDir },
        stdio: 'pipe',
      });
      assert.fail('expected a non-zero exit');
    } catch (error) {
      const e = error as { status: number; stderr: Buffer };
      assert.equal(e.status, 1);
      out = e.stderr.toString();
    }
    assert.match(out, /PORT/);
    assert.match(out, /MINEWATCH_ROLE/);
  });
});

describe('npm run migration:run', () => {
  it('applies every migration to DATABASE_URL once, and reports an up-to-date database the second time', async () => {
    const { createTestDatabase } = await import('../support/database.js');
    const db = await createTestDatabase({ migrate: false });
    try {
      const run = () =>
        execFileSync(process.execPath, [join(process.cwd(), 'dist/scripts/migration-run.js')], {
          env: { ...process.env, DATABASE_URL: db.url },
          encoding: 'utf8',
        });
      assert.match(run(), /applied: InitialSchema/);
      assert.match(run(), /up to date/);
    } finally {
      await db.drop();
    }
  });
});
