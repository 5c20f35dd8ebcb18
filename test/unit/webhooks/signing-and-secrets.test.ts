import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ENCRYPTION_KEY_FILE, loadEncryptionKey, SecretBox } from '#src/modules/webhooks/secret-box.js';
import { generateSecret, messageId, signatureHeaders } from '#src/modules/webhooks/webhook-signer.js';

describe('webhook signatures', () => {
  const body = JSON.stringify({ type: 'incident.opened', timestamp: '2026-11-20T10:00:00.000Z', data: { sequence: 1 } });

  it('makes secrets of 32 random bytes in the whsec_ form', () => {
    const a = generateSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, generateSecret());
  });

  it('signs so that the standardwebhooks verifier accepts it, with a stable msg_ id', () => {
    const secret = generateSecret();
    const id = messageId('0b6b3f2e-5a8e-4c59-9d61-2f1c6c7e8a90');
    assert.equal(id, 'msg_0b6b3f2e5a8e4c599d612f1c6c7e8a90');
    const headers = signatureHeaders([secret], id, new Date(), body);
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
    assert.throws(() => new Webhook(generateSecret()).verify(body, { ...headers }), /No matching signature/);
    assert.throws(() => new Webhook(secret).verify(body.replace('1', '2'), { ...headers }), /No matching signature/);
  });

  it('during a rotation carries one signature per secret, each verifying on its own', () => {
    const [previous, current] = [generateSecret(), generateSecret()];
    const headers = signatureHeaders([current, previous], 'msg_1', new Date(), body);
    assert.equal(headers['webhook-signature'].split(' ').length, 2);
    for (const secret of [current, previous]) new Webhook(secret).verify(body, { ...headers });
  });
});

describe('webhook secret encryption', () => {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('seals with AES-256-GCM bound to the endpoint: no clear text, no moving it to another row', () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const secret = generateSecret();
    const sealed = box.seal(secret, 'endpoint-a');
    assert.ok(!sealed.includes(secret) && !sealed.includes(secret.slice(6)));
    assert.notEqual(sealed, box.seal(secret, 'endpoint-a'), 'a fresh IV each time');
    assert.equal(box.open(sealed, 'endpoint-a'), secret);
    assert.throws(() => box.open(sealed, 'endpoint-b'));
    assert.throws(
      () => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'endpoint-a'),
      /every replica needs the same MINEWATCH_ENCRYPTION_KEY/,
    );
  });

  it('uses MINEWATCH_ENCRYPTION_KEY; on the embedded database generates one key file (0600) and keeps it', async () => {
    const configured = Buffer.alloc(32, 3).toString('base64');
    assert.deepEqual(await loadEncryptionKey({ encryptionKey: configured, databaseUrl: undefined, dataDir: dir }), Buffer.alloc(32, 3));
    const [first, second] = await Promise.all([
      loadEncryptionKey({ encryptionKey: undefined, databaseUrl: undefined, dataDir: dir }),
      loadEncryptionKey({ encryptionKey: undefined, databaseUrl: undefined, dataDir: dir }),
    ]);
    assert.equal(first!.length, 32);
    assert.deepEqual(first, second, 'two processes starting together agree on one key');
    const file = join(dir, ENCRYPTION_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), first);
    assert.deepEqual(await loadEncryptionKey({ encryptionKey: undefined, databaseUrl: undefined, dataDir: dir }), first);
  });

  it('has no key with DATABASE_URL and no variable: replicas must share one, so none is invented', async () => {
    const other = mkdtempSync(join(tmpdir(), 'minewatch-key-'));
    try {
      assert.equal(await loadEncryptionKey({ encryptionKey: undefined, databaseUrl: 'postgres://db/x', dataDir: other }), null);
      assert.throws(() => statSync(join(other, ENCRYPTION_KEY_FILE)));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
