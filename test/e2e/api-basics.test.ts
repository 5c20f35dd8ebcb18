import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';

const finding = (id: string, instance: string, extra: Record<string, unknown> = {}) => ({
  sourceId: id,
  kind: 'security_finding',
  provider: 'aws',
  accountId: '123456789012',
  region: 'us-east-1',
  observedAt: '2026-11-20T10:00:00Z',
  severity: 'HIGH',
  title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  mining: true,
  resources: [{ provider: 'aws', accountId: '123456789012', region: 'us-east-1', type: 'aws.ec2.instance', id: instance }],
  attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
  ...extra,
});

describe('API basics over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  it('health and readiness are open; readiness checks the database and migrations', async () => {
    await t.http.get('/healthz').expect(200, { status: 'ok' });
    const ready = await t.http.get('/readyz').expect(200);
    assert.equal(ready.body.details.database.status, 'up');
    assert.equal(ready.body.details.migrations.status, 'up');
  });

  it('refuses a request without a key with 401 problem+json, and a wrong scope with 403', async () => {
    const none = await t.http.get('/v1/incidents').expect(401);
    assert.match(none.headers['content-type'], /application\/problem\+json/);
    assert.equal(none.body.code, 'UNAUTHENTICATED');
    assert.match(none.headers['www-authenticate'], /Bearer/);
    await t.http.get('/v1/incidents').set('authorization', 'Bearer mwk_nope').expect(401);
    const readOnly = await t.keyWith(['incidents:read']);
    const forbidden = await t.http.post('/v1/ingest/signals').set('authorization', `Bearer ${readOnly}`).send([]).expect(403);
    assert.match(forbidden.body.detail, /"ingest" scope/);
    const ingestOnly = await t.keyWith(['ingest']);
    await t.http.get('/v1/incidents').set('authorization', `Bearer ${ingestOnly}`).expect(403);
    await t.http.get('/metrics').set('authorization', `Bearer ${readOnly}`).expect(403);
    const metrics = await t.http.get('/metrics').set(t.auth).expect(200);
    assert.match(metrics.text, /minewatch_ingest_items_total/);
  });

  it('GraphQL without a key answers 401 with an UNAUTHENTICATED error', async () => {
    const res = await t.http.post('/graphql').send({ query: '{ incidents { totalCount } }' }).expect(401);
    assert.equal(res.body.errors[0].extensions.code, 'UNAUTHENTICATED');
  });

  it('serves the OpenAPI document and its UI without a key', async () => {
    const doc = await t.http.get('/openapi.json').expect(200);
    assert.match(doc.body.openapi, /^3\.1/);
    for (const path of ['/v1/ingest/{source}', '/v1/incidents', '/v1/incidents/{id}', '/v1/incidents/{id}/report', '/v1/signals']) {
      assert.ok(doc.body.paths[path], `OpenAPI lists ${path}`);
    }
    const ui = await t.http.get('/docs').expect(200);
    assert.match(ui.text, /swagger/i);
  });

  it('rejects bad input with problem+json naming what is wrong, and stores nothing', async () => {
    const malformed = await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .set('content-type', 'application/json')
      .send('{"sourceId": ')
      .expect(400);
    assert.match(malformed.headers['content-type'], /problem\+json/);
    const unknown = await t.http.post('/v1/ingest/aws.nothing').set(t.auth).send({}).expect(400);
    assert.equal(unknown.body.code, 'UNKNOWN_SOURCE');
    await t.http.post('/v1/ingest/signals').set(t.auth).set('content-type', 'application/xml').send('<x/>').expect(415);
    const bad = await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .send([
        finding('ok-1', 'i-1'),
        finding('bad-1', 'i-2', { observedAt: 'XXXX-XX-XXTXX:XX:XXZ' }),
        finding('bad-2', 'i-3', { kind: 'weird' }),
      ])
      .expect(400);
    assert.deepEqual(
      bad.body.errors.map((e: { index: number; field: string }) => [e.index, e.field]),
      [
        [1, '/1/observedAt'],
        [2, '/2/kind'],
      ],
    );
    const signals = await t.http.get('/v1/signals').set(t.auth).expect(200);
    assert.equal(signals.body.items.length, 0, 'the valid item of the rejected request was not stored');
  });

  it('answers 413 for a body over the limit', async () => {
    const big = JSON.stringify([{ pad: 'x'.repeat(t.config.maxBodyBytes) }]);
    const res = await t.http.post('/v1/ingest/signals').set(t.auth).set('content-type', 'application/json').send(big).expect(413);
    assert.equal(res.body.code, 'PAYLOAD_TOO_LARGE');
  });

  it('ingests idempotently; a newer version updates; NDJSON works', async () => {
    const first = await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .send([finding('f-1', 'i-100'), finding('f-2', 'i-101')])
      .expect(200);
    assert.equal(first.body.accepted, 2);
    assert.equal(first.body.duplicates, 0);
    const again = await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .send([finding('f-1', 'i-100'), finding('f-2', 'i-101')])
      .expect(200);
    assert.equal(again.body.accepted, 0);
    assert.equal(again.body.duplicates, 2);
    assert.deepEqual(again.body.signalIds, first.body.signalIds);
    const newer = await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .send([finding('f-1', 'i-100', { sourceVersion: '2026-11-21T00:00:00.000Z', title: 'updated' })])
      .expect(200);
    assert.equal(newer.body.accepted, 1);
    assert.equal(newer.body.updated, 1);
    const stored = await t.http.get(`/v1/signals/${first.body.signalIds[0]}`).set(t.auth).expect(200);
    assert.equal(stored.body.title, 'updated');
    const nd = [finding('nd-1', 'i-200'), finding('nd-2', 'i-201')].map((x) => JSON.stringify(x)).join('\n');
    const ndRes = await t.http.post('/v1/ingest/signals').set(t.auth).set('content-type', 'application/x-ndjson').send(nd).expect(200);
    assert.equal(ndRes.body.accepted, 2);
  });

  it('correlates a mining finding into an incident visible over REST and GraphQL', async () => {
    await t.settle();
    const list = await t.http.get('/v1/incidents?limit=1').set(t.auth).expect(200);
    assert.equal(list.body.items.length, 1);
    assert.ok(list.body.nextCursor === null || typeof list.body.nextCursor === 'string');
    const gql = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({
        query:
          '{ incidents(first: 100, filter: { status: [OPEN] }) { totalCount edges { node { id status techniques evidence { rule weight reason signal { sourceId provider } } } } } }',
      })
      .expect(200);
    assert.equal(gql.body.errors, undefined);
    const conn = gql.body.data.incidents;
    assert.equal(conn.totalCount, 1, 'same-account mining findings within the window are one campaign');
    const node = conn.edges[0].node;
    assert.deepEqual(node.techniques.slice(0, 1), ['T1496']);
    assert.equal(node.evidence.length, 4);
    for (const e of node.evidence) assert.ok(e.reason.length > 10 && e.weight > 0);
  });

  it('pages with cursors and validates paging parameters', async () => {
    await t.http.get('/v1/incidents?limit=0').set(t.auth).expect(400);
    const badCursor = await t.http.get('/v1/incidents?cursor=zzz').set(t.auth).expect(400);
    assert.equal(badCursor.body.errors[0].field, 'cursor');
    const badStatus = await t.http.get('/v1/incidents?status=OPENED').set(t.auth).expect(400);
    assert.equal(badStatus.body.errors[0].field, 'status');
    const p1 = await t.http.get('/v1/signals?limit=2').set(t.auth).expect(200);
    const p2 = await t.http.get(`/v1/signals?limit=2&cursor=${p1.body.nextCursor}`).set(t.auth).expect(200);
    const ids = [...p1.body.items, ...p2.body.items].map((s: { id: string }) => s.id);
    assert.equal(new Set(ids).size, 4);
    const gql = await t.http.post('/graphql').set(t.auth).send({ query: '{ incidents(first: 1000) { totalCount } }' }).expect(200);
    assert.equal(gql.body.errors[0].extensions.code, 'INVALID_QUERY');
  });

  it('changes status with a note, recorded in the timeline; unknown ids are 404', async () => {
    const [incident] = (await t.http.get('/v1/incidents').set(t.auth).expect(200)).body.items;
    const readOnly = await t.keyWith(['incidents:read']);
    await t.http
      .patch(`/v1/incidents/${incident.id}`)
      .set('authorization', `Bearer ${readOnly}`)
      .send({ status: 'ACKNOWLEDGED' })
      .expect(403);
    await t.http.patch(`/v1/incidents/${incident.id}`).set(t.auth).send({ status: 'DONE' }).expect(400);
    const patched = await t.http
      .patch(`/v1/incidents/${incident.id}`)
      .set(t.auth)
      .send({ status: 'ACKNOWLEDGED', note: 'on it' })
      .expect(200);
    assert.equal(patched.body.status, 'ACKNOWLEDGED');
    const detail = await t.http.get(`/v1/incidents/${incident.id}`).set(t.auth).expect(200);
    const change = detail.body.timeline.find((e: { type: string }) => e.type === 'incident.status_changed');
    assert.deepEqual(JSON.parse(change.details), { from: 'OPEN', to: 'ACKNOWLEDGED', note: 'on it' });
    const gql = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({ query: `mutation { transitionIncident(id: "${incident.id}", to: CONTAINED, note: "instances stopped") { status } }` })
      .expect(200);
    assert.equal(gql.body.data.transitionIncident.status, 'CONTAINED');
    await t.http.get('/v1/incidents/00000000-0000-4000-8000-000000000000').set(t.auth).expect(404);
    await t.http.get('/v1/incidents/not-a-uuid').set(t.auth).expect(404);
    const none = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({ query: '{ incident(id: "00000000-0000-4000-8000-000000000000") { id } }' })
      .expect(200);
    assert.equal(none.body.data.incident, null);
  });
});

describe('GraphiQL served by the service', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  it('serves the page without a key and every asset it references from this origin', async () => {
    for (const path of ['/graphiql', '/graphiql/']) {
      const page = await t.http.get(path).expect(200);
      assert.match(page.headers['content-type'], /text\/html/);
      assert.match(page.headers['content-security-policy'], /default-src 'self'/);
      assert.match(page.text, /MineWatch GraphiQL/);
    }
    const html = (await t.http.get('/graphiql').expect(200)).text;
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((a) => !a.startsWith('data:'));
    assert.ok(assets.length >= 2, 'a script and a stylesheet');
    for (const asset of assets) {
      assert.ok(asset.startsWith('/graphiql/assets/'), `${asset} is served by the service`);
      const res = await t.http.get(asset).expect(200);
      assert.match(res.headers['content-type'], asset.endsWith('.css') ? /text\/css/ : /javascript/);
      assert.match(res.headers['cache-control'], /immutable/);
    }
  });
});
