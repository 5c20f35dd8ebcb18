import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getNamedType,
  isLeafType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  type GraphQLArgument,
  isNonNullType,
  isListType,
  type GraphQLInputType,
} from 'graphql';
import { startTestApp, type TestApp } from '../support/app.js';

const OPEN = new Set(['/healthz', '/readyz', '/graphiql', '/graphiql/', '/docs', '/openapi.json', '/openapi.yaml']);

function routesOf(t: TestApp): Array<{ method: string; url: string }> {
  const fastify = t.app.getHttpAdapter().getInstance() as unknown as { minewatchRoutes: Array<{ method: string; url: string }> };
  return fastify.minewatchRoutes.filter((r) => r.method !== 'HEAD');
}

function dummy(type: GraphQLInputType): string {
  if (isNonNullType(type)) return dummy(type.ofType);
  if (isListType(type)) return `[${dummy(type.ofType)}]`;
  const named = getNamedType(type);
  if (named instanceof GraphQLEnumType) return named.getValues()[0]!.name;
  if (named instanceof GraphQLInputObjectType) {
    const required = Object.values(named.getFields()).filter((f) => isNonNullType(f.type));
    return `{ ${required.map((f) => `${f.name}: ${dummy(f.type)}`).join(', ')} }`;
  }
  if (named.name === 'Int' || named.name === 'Float') return '1';
  if (named.name === 'Boolean') return 'true';
  return '"00000000-0000-4000-8000-000000000000"';
}

function args(list: readonly GraphQLArgument[]): string {
  const required = list.filter((a) => isNonNullType(a.type));
  return required.length ? `(${required.map((a) => `${a.name}: ${dummy(a.type)}`).join(', ')})` : '';
}

describe('the API surface', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  it('every REST route is in the OpenAPI document, and every documented path exists', async () => {
    const doc = (await t.http.get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const api = routesOf(t).filter((r) => r.url.startsWith('/v1/') || r.url === '/healthz' || r.url === '/readyz');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    for (const r of api) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      assert.ok(documented.has(`${r.method} ${path}`), `${r.method} ${path} is documented`);
    }
    const served = new Set(api.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`));
    for (const op of documented) assert.ok(served.has(op), `${op} is served`);
  });

  it('no REST route answers without a key, except the open ones', async () => {
    // OPTIONS /v1/ingest/{source} is the open CloudEvents handshake.
    const routes = routesOf(t).filter(
      (r) =>
        r.method !== 'OPTIONS' &&
        !OPEN.has(r.url) &&
        !r.url.startsWith('/graphiql/assets') &&
        !r.url.startsWith('/docs') &&
        r.url !== '/graphql' &&
        r.url !== '/*',
    );
    assert.ok(routes.length >= 10, `found ${routes.length} routes`);
    for (const r of routes) {
      const url = r.url.replace(/:(\w+)/g, '00000000-0000-4000-8000-000000000000');
      const res = await t.http[r.method.toLowerCase() as 'get'](url).send({});
      assert.equal(res.status, 401, `${r.method} ${r.url} without a key`);
    }
  });

  it('no GraphQL query, mutation or subscription field runs without a key', async () => {
    const schema = t.app.get(GraphQLSchemaHost).schema;
    const roots = [
      ['query', schema.getQueryType()],
      ['mutation', schema.getMutationType()],
    ] as const;
    let checked = 0;
    for (const [op, type] of roots) {
      for (const field of Object.values(type?.getFields() ?? {})) {
        const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
        const res = await t.http.post('/graphql').send({ query: `${op} { ${field.name}${args(field.args)}${selection} }` });
        const codes = (res.body.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);
        assert.ok(codes.includes('UNAUTHENTICATED'), `${op} ${field.name}: ${JSON.stringify(res.body)}`);
        checked++;
      }
    }
    assert.ok(checked >= 3);
    assert.ok(schema.getSubscriptionType()?.getFields()['incidentEvents'], 'the contract subscription exists');
  });

  it('manages API keys: create with scopes (shown once), list without the key, revoke', async () => {
    const bad = await t.http
      .post('/v1/api-keys')
      .set(t.auth)
      .send({ name: '', scopes: ['root'] })
      .expect(400);
    assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), ['name', 'scopes']);
    const created = await t.http
      .post('/v1/api-keys')
      .set(t.auth)
      .send({ name: 'finops', scopes: ['incidents:read'] })
      .expect(201);
    assert.match(created.body.key, /^mwk_/);
    const list = await t.http.get('/v1/api-keys').set(t.auth).expect(200);
    assert.ok(list.body.some((k: { id: string; prefix: string }) => k.id === created.body.id && created.body.key.startsWith(k.prefix)));
    assert.ok(!JSON.stringify(list.body).includes(created.body.key), 'the list never shows a key');
    const finops = { authorization: `Bearer ${created.body.key}` };
    await t.http.get('/v1/incidents').set(finops).expect(200);
    await t.http.get('/v1/api-keys').set(finops).expect(403);
    await t.http.delete(`/v1/api-keys/${created.body.id}`).set(t.auth).expect(204);
    await t.http.delete(`/v1/api-keys/${created.body.id}`).set(t.auth).expect(404);
    await t.http.get('/v1/incidents').set(finops).expect(401);
  });

  it('reports cost impact per month and account, and echoes a request id', async () => {
    const cost = (id: string, account: string, day: string, amount: number) => ({
      sourceId: id,
      kind: 'cost_anomaly',
      provider: 'aws',
      accountId: account,
      observedAt: `${day}T00:00:00Z`,
      observedUntil: `${day}T23:59:59Z`,
      title: 'EC2 spend',
      cost: { amount, currency: 'USD' },
      attributes: { service: 'Amazon Elastic Compute Cloud - Compute' },
    });
    const finding = (id: string, account: string, day: string) => ({
      sourceId: id,
      kind: 'security_finding',
      provider: 'aws',
      accountId: account,
      region: 'us-east-1',
      observedAt: `${day}T10:00:00Z`,
      title: 'CryptoCurrency:EC2/BitcoinTool.B',
      mining: true,
      resources: [{ provider: 'aws', accountId: account, region: 'us-east-1', type: 'aws.ec2.instance', id: `i-${id}` }],
    });
    await t.http
      .post('/v1/ingest/signals')
      .set(t.auth)
      .send([
        finding('f1', '111111111111', '2026-10-30'),
        cost('c1', '111111111111', '2026-10-30', 1200.5),
        finding('f2', '222222222222', '2026-11-20'),
        cost('c2', '222222222222', '2026-11-20', 800),
      ])
      .expect(200);
    await t.settle();
    const res = await t.http.get('/v1/cost-impact').set(t.auth).set('x-request-id', 'trace-me-123').expect(200);
    assert.equal(res.headers['x-request-id'], 'trace-me-123');
    assert.deepEqual(res.body.items, [
      { month: '2026-11', provider: 'aws', accountId: '222222222222', currency: 'USD', amount: 800, incidents: 1 },
      { month: '2026-10', provider: 'aws', accountId: '111111111111', currency: 'USD', amount: 1200.5, incidents: 1 },
    ]);
    const one = await t.http.get('/v1/cost-impact?account=111111111111').set(t.auth).expect(200);
    assert.equal(one.body.items.length, 1);
    await t.http.get('/v1/cost-impact?since=yesterday').set(t.auth).expect(400);
    const csv = await t.http.get('/v1/incidents?provider=aws').set(t.auth).set('accept', 'text/csv').expect(200);
    assert.match(csv.headers['content-type'], /text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.equal(
      lines[0],
      'id,status,severity,confidence,title,providers,accounts,regions,resourceCount,firstSeenAt,lastSeenAt,costImpactAmount,costImpactCurrency,principals,accessKeyIds,sourceIps,techniques',
    );
    assert.equal(lines.length, 3, 'a header and the two incidents');
    assert.ok(lines.some((l) => l.includes(',222222222222,') && l.includes(',800.00,USD,')));
    const metrics = await t.http.get('/metrics').set(t.auth).expect(200);
    assert.match(metrics.text, /minewatch_ingest_items_total\{source="signals",outcome="accepted"\} 4/);
    assert.match(metrics.text, /minewatch_signals_pending_correlation 0/);
    assert.match(metrics.text, /minewatch_queue_jobs\{queue="signals-retention",state="queued"\}/);
    assert.match(metrics.text, /minewatch_http_request_duration_seconds_count\{method="GET",route="\/v1\/cost-impact",status="200"\}/);
  });
});

describe('GraphQL limits', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  const gql = (query: string) => t.http.post('/graphql').set(t.auth).send({ query });

  it("lets GraphiQL's introspection query through", async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const res = await gql(getIntrospectionQuery()).expect(200);
    assert.equal(res.body.errors, undefined);
    assert.ok(res.body.data.__schema.types.length > 10);
  });

  it('refuses, before running it, a query too deep, too costly, with too many aliases or tokens', async () => {
    const deep = await gql(
      '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } } }',
    );
    assert.equal(deep.status, 400);
    assert.match(JSON.stringify(deep.body.errors), /depth/i);
    // 100 incidents × up to 50 pieces of evidence × their signals' fields: over the cost limit.
    const costly = await gql(
      '{ incidents(first: 100) { edges { node { evidence { reason signal { id kind source sourceId provider accountId region observedAt } } } } } }',
    );
    assert.equal(costly.status, 400);
    assert.equal(costly.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    const aliases = await gql(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    assert.equal(aliases.status, 400);
    assert.match(aliases.body.errors[0].message, /aliases/);
    const tokens = await gql(`{ ${'__typename '.repeat(6000)} }`);
    assert.equal(tokens.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
  });

  it('runs queries with variables, and counts a variable `first` at its value against the cost limit', async () => {
    const gqlv = (query: string, variables: Record<string, unknown>) => t.http.post('/graphql').set(t.auth).send({ query, variables });
    const cheap = await gqlv(
      'query Page($n: Int!, $filter: IncidentFilter) { incidents(first: $n, filter: $filter) { totalCount edges { node { id } } } }',
      {
        n: 5,
        filter: { status: ['OPEN'] },
      },
    ).expect(200);
    assert.equal(cheap.body.errors, undefined, JSON.stringify(cheap.body.errors));
    assert.equal(typeof cheap.body.data.incidents.totalCount, 'number');
    const heavy =
      'query Heavy($n: Int!) { incidents(first: $n) { edges { node { evidence { reason signal { id kind source sourceId provider accountId region observedAt } } } } } }';
    const small = await gqlv(heavy, { n: 2 }).expect(200);
    assert.equal(small.body.errors, undefined, JSON.stringify(small.body.errors));
    const big = await gqlv(heavy, { n: 100 });
    assert.equal(big.status, 400);
    assert.equal(big.body.errors[0].extensions.code, 'QUERY_TOO_COMPLEX');
    assert.equal(big.body.data, null);
    const missing = await gqlv('query Page($n: Int!) { incidents(first: $n) { totalCount } }', {});
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing.body.errors), /\$n/);
  });

  it('answers a page of incidents with evidence and timeline in one request', async () => {
    const res = await gql('{ incidents(first: 100) { totalCount edges { node { id evidence { rule } timeline { type } } } } }').expect(200);
    assert.equal(res.body.errors, undefined);
  });
});

describe('GraphQL signals and webhooks queries', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  it('pages signals with a filter and lists webhooks for admins only', async () => {
    const items = Array.from({ length: 3 }, (_, i) => ({
      sourceId: `g-${i}`,
      kind: 'utilization',
      provider: 'azure',
      accountId: 'sub-1',
      observedAt: `2026-11-2${i}T10:00:00Z`,
      title: 'cpu',
    }));
    await t.http.post('/v1/ingest/signals').set(t.auth).send(items).expect(200);
    const q = (after?: string) =>
      `{ signals(first: 2, filter: { provider: "azure" }${after ? `, after: "${after}"` : ''}) { edges { node { sourceId } } pageInfo { hasNextPage endCursor } } }`;
    const p1 = (await t.http.post('/graphql').set(t.auth).send({ query: q() }).expect(200)).body.data.signals;
    assert.deepEqual(
      p1.edges.map((e: { node: { sourceId: string } }) => e.node.sourceId),
      ['g-2', 'g-1'],
    );
    assert.equal(p1.pageInfo.hasNextPage, true);
    const p2 = (
      await t.http
        .post('/graphql')
        .set(t.auth)
        .send({ query: q(p1.pageInfo.endCursor) })
        .expect(200)
    ).body.data.signals;
    assert.deepEqual(
      p2.edges.map((e: { node: { sourceId: string } }) => e.node.sourceId),
      ['g-0'],
    );
    const reader = await t.keyWith(['incidents:read']);
    const denied = await t.http.post('/graphql').set('authorization', `Bearer ${reader}`).send({ query: '{ webhooks { id url } }' });
    assert.equal(denied.body.errors[0].extensions.code, 'FORBIDDEN');
    const listed = await t.http.post('/graphql').set(t.auth).send({ query: '{ webhooks { id url status } }' }).expect(200);
    assert.deepEqual(listed.body.data.webhooks, []);
  });
});
