import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

describe('per-key rate limit shared by replicas', () => {
  let a: TestApp;
  let b: TestApp;
  before(async () => {
    a = await startTestApp({ MINEWATCH_RATE_LIMIT_PER_MINUTE: '6' });
    b = await startTestApp({ MINEWATCH_RATE_LIMIT_PER_MINUTE: '6', MINEWATCH_ROLE: 'api' }, { db: a.db });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('counts one budget across replicas and answers 429 problem+json with Retry-After', async () => {
    const key = await a.keyWith(['incidents:read']);
    const auth = { authorization: `Bearer ${key}` };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? b : a).http.get('/v1/incidents').set(auth)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    const limited = await b.http.get('/v1/incidents').set(auth).expect(429);
    assert.match(limited.headers['content-type'], /application\/problem\+json/);
    assert.equal(limited.body.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // Another key has its own budget; probes are never limited.
    await a.http.get('/v1/incidents').set(a.auth).expect(200);
    for (let i = 0; i < 10; i++) await b.http.get('/readyz').expect(200);
  });
});
