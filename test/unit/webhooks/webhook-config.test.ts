import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '#src/config/config.js';

describe('webhook configuration', () => {
  it('defaults to a 15 s timeout, the real retry schedule and no configured key', () => {
    const c = loadConfig({});
    assert.deepEqual(c.webhooks, { timeoutMs: 15_000, retryScale: 1 });
    assert.equal(c.encryptionKey, undefined);
  });

  it('takes a 32-byte base64 key and a retry scale', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const c = loadConfig({ MINEWATCH_ENCRYPTION_KEY: key, MINEWATCH_WEBHOOK_RETRY_SCALE: '0.001', MINEWATCH_WEBHOOK_TIMEOUT_MS: '2000' });
    assert.equal(c.encryptionKey, key);
    assert.deepEqual(c.webhooks, { timeoutMs: 2000, retryScale: 0.001 });
  });

  it('names a bad key, scale or timeout without echoing the key', () => {
    const short = Buffer.alloc(16, 2).toString('base64');
    assert.throws(
      () => loadConfig({ MINEWATCH_ENCRYPTION_KEY: short, MINEWATCH_WEBHOOK_RETRY_SCALE: '0', MINEWATCH_WEBHOOK_TIMEOUT_MS: 'soon' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), [
          'MINEWATCH_ENCRYPTION_KEY',
          'MINEWATCH_WEBHOOK_RETRY_SCALE',
          'MINEWATCH_WEBHOOK_TIMEOUT_MS',
        ]);
        assert.match(error.message, /openssl rand -base64 32/);
        assert.ok(!error.message.includes(short));
        return true;
      },
    );
  });
});
