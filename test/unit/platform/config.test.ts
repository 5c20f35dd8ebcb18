import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '#src/config/config.js';

describe('configuration', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.role, 'all');
    assert.equal(c.databaseUrl, undefined);
    assert.match(c.dataDir, /\.minewatch$/);
    assert.deepEqual(c.webhookAllowedCidrs, []);
    assert.equal(c.logLevel, 'info');
  });

  it('names every bad variable at once, without echoing secret values', () => {
    const secret = 'postgres-password-123';
    assert.throws(
      () =>
        loadConfig({
          PORT: 'eighty',
          MINEWATCH_ROLE: 'boss',
          DATABASE_URL: `mysql://root:${secret}@db/x`,
          LOG_LEVEL: 'loud',
          MINEWATCH_WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8,10.0.0.0/33',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const names = error.problems.map((p) => p.split(':')[0]).sort();
        assert.deepEqual(names, ['DATABASE_URL', 'LOG_LEVEL', 'MINEWATCH_ROLE', 'MINEWATCH_WEBHOOK_ALLOWED_CIDRS', 'PORT']);
        assert.ok(!error.message.includes(secret));
        assert.match(error.message, /10\.0\.0\.0\/33/);
        return true;
      },
    );
  });

  it('keeps 400 days of cost series, refuses fewer than the detector needs, and 0 keeps all', () => {
    assert.equal(loadConfig({}).costRetentionDays, 400);
    assert.equal(loadConfig({ MINEWATCH_COST_RETENTION_DAYS: '0' }).costRetentionDays, 0);
    assert.equal(loadConfig({ MINEWATCH_COST_RETENTION_DAYS: '60' }).costRetentionDays, 60);
    assert.throws(
      () => loadConfig({ MINEWATCH_COST_RETENTION_DAYS: '30' }),
      /MINEWATCH_COST_RETENTION_DAYS: must be 0 \(keep forever\) or at least 60/,
    );
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 3000);
  });
});
