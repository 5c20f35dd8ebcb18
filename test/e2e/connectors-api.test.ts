import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectorClient } from '../fakes/connector-client.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

describe('connector management over REST and GraphQL', () => {
  let t: TestApp;
  let client: ReturnType<typeof connectorClient>;

  before(async () => {
    t = await startTestApp({ MINEWATCH_CONNECTOR_RETRY_BASE_MS: '1' });
    client = connectorClient(t.baseUrl, ADMIN_KEY);
  });
  after(async () => t?.close());

  it('needs the admin scope, on REST and GraphQL alike', async () => {
    await t.http.get('/v1/connectors').expect(401);
    const reader = await t.keyWith(['incidents:read']);
    await t.http
      .get('/v1/connectors')
      .set({ authorization: `Bearer ${reader}` })
      .expect(403);
    const gql = await t.http
      .post('/graphql')
      .set({ authorization: `Bearer ${reader}` })
      .send({ query: '{ connectors { id } }' });
    assert.equal(gql.body.errors[0].extensions.code, 'FORBIDDEN');
  });

  it('refuses a bad connector naming every bad field, and stores nothing', async () => {
    const res = await client.request('POST', '/v1/connectors', {
      name: 'bad',
      provider: 'aws',
      scopes: ['12345', '123456789012'],
      collect: ['guardduty', 'defender'],
      credentials: { source: 'static', accessKeyId: 'AKIAEXAMPLE' },
      assumeRole: { roleArn: 'not-an-arn' },
      colour: 'blue',
    });
    assert.equal(res.status, 400);
    const fields = (res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ['/assumeRole/roleArn', '/colour']);
    const second = await client.request('POST', '/v1/connectors', {
      name: 'bad',
      provider: 'aws',
      scopes: ['12345'],
      collect: ['guardduty', 'defender'],
      credentials: { source: 'static', accessKeyId: 'AKIAEXAMPLE' },
    });
    assert.equal(second.status, 400);
    assert.deepEqual((second.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort(), [
      '/collect/1',
      '/credentials/secretAccessKey',
      '/scopes/0',
    ]);
    assert.deepEqual((await client.request('GET', '/v1/connectors')).body, { items: [] });
  });

  it('creates, lists, changes, pauses and deletes; a cloud that cannot be reached is a status, not a crash', async () => {
    const created = await client.create({
      name: 'unreachable',
      provider: 'gcp',
      scopes: ['acme-web-prod'],
      collect: ['scc'],
      intervalMinutes: 15,
      endpoint: 'http://127.0.0.1:9',
      credentials: { source: 'token', token: 'ya29.unreachable-token-0001' },
    });
    assert.equal(created['status'], 'active');
    assert.equal(created['backfillDays'], 35);
    const [run] = await client.finishedRuns(created.id, 1);
    assert.equal(run!.status, 'failed');
    const status = (await client.request('GET', `/v1/connectors/${created.id}`)).body as Record<string, string | null>;
    assert.equal(status['lastRunStatus'], 'failed');
    assert.match(status['lastError'] ?? '', /^scc acme-web-prod: /);
    assert.ok(!JSON.stringify(status).includes('unreachable-token'));

    const patched = await client.request('PATCH', `/v1/connectors/${created.id}`, { name: 'renamed', intervalMinutes: 30 });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(
      [(patched.body as { name: string }).name, (patched.body as { intervalMinutes: number }).intervalMinutes],
      ['renamed', 30],
    );
    assert.equal(
      (await client.request('PATCH', `/v1/connectors/${created.id}`, { regions: ['us-east-1'] })).status,
      400,
      'regions are for aws',
    );

    const listed = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({
        query: '{ connectors { id name provider collect intervalMinutes status lastRunStatus credentials { source secretsStored } } }',
      })
      .expect(200);
    assert.deepEqual(listed.body.data.connectors, [
      {
        id: created.id,
        name: 'renamed',
        provider: 'gcp',
        collect: ['scc'],
        intervalMinutes: 30,
        status: 'active',
        lastRunStatus: 'failed',
        credentials: { source: 'token', secretsStored: true },
      },
    ]);
    const paused = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({ query: `mutation { pauseConnector(id: "${created.id}") { status nextRunAt } }` })
      .expect(200);
    assert.deepEqual(paused.body.data.pauseConnector, { status: 'paused', nextRunAt: null });
    const runs = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({ query: `{ connectorRuns(id: "${created.id}") { trigger status error streams { stream error } } }` })
      .expect(200);
    assert.equal(runs.body.data.connectorRuns[0].streams[0].stream, 'scc');
    const deleted = await t.http
      .post('/graphql')
      .set(t.auth)
      .send({ query: `mutation { deleteConnector(id: "${created.id}") }` })
      .expect(200);
    assert.equal(deleted.body.data.deleteConnector, true);
    const gone = await client.request('GET', `/v1/connectors/${created.id}`);
    assert.equal(gone.status, 404);
    assert.equal((gone.body as { code: string }).code, 'CONNECTOR_NOT_FOUND');
    assert.equal((await client.request('POST', `/v1/connectors/${created.id}/run`)).status, 404);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await t.http.get('/openapi.json').expect(200)).body as { paths: Record<string, unknown> };
    for (const path of [
      '/v1/connectors',
      '/v1/connectors/{id}',
      '/v1/connectors/{id}/run',
      '/v1/connectors/{id}/pause',
      '/v1/connectors/{id}/resume',
      '/v1/connectors/{id}/runs',
    ]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
  });
});
