import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, grants, hashApiKey, hasValidChecksum } from '#src/platform/auth/api-key.js';

describe('API keys', () => {
  it('are prefixed, checksummed and unique', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    assert.equal(keys.size, 200);
    for (const k of keys) {
      assert.match(k, /^mwk_[0-9A-Za-z]{38}$/);
      assert.ok(hasValidChecksum(k));
    }
  });

  it('a typo breaks the checksum', () => {
    const k = generateApiKey();
    const typo = k.slice(0, 10) + (k[10] === 'a' ? 'b' : 'a') + k.slice(11);
    assert.equal(hasValidChecksum(typo), false);
  });

  it('stores a hash that does not contain the key', () => {
    const k = generateApiKey();
    assert.equal(hashApiKey(k).length, 64);
    assert.ok(!hashApiKey(k).includes(k.slice(4, 20)));
  });

  it('admin grants every scope; others only their own', () => {
    assert.ok(grants(['admin'], 'ingest'));
    assert.ok(grants(['incidents:read'], 'incidents:read'));
    assert.equal(grants(['incidents:read'], 'incidents:write'), false);
  });
});
