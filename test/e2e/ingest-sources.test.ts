import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parsers, TEXT_SOURCES } from '#src/connectors/registry.js';
import type { ParseResult } from '#src/connectors/signal.js';
import { decodeBody } from '#src/modules/ingestion/body-decoder.js';
import { fixturePath } from '../support/fixtures.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

/**
 * Every ingest source of the contract, fed its fixtures over HTTP: each fixture is answered 2xx and
 * stored as the parser reads it, sending it again stores nothing new, and each malformed fixture
 * is answered 400 problem+json naming the bad items, with nothing stored.
 */
const SOURCES: Record<string, { dir: string; query?: Record<string, string> }> = {
  'aws.guardduty': { dir: 'aws/guardduty' },
  'aws.cost-anomaly': { dir: 'aws/cost-anomaly' },
  'aws.cloudtrail': { dir: 'aws/cloudtrail' },
  'aws.cloudwatch': { dir: 'aws/cloudwatch' },
  'aws.vpc-flow-logs': { dir: 'network/aws-vpc-flow-logs' },
  'aws.route53-resolver': { dir: 'network/route53-resolver' },
  'azure.defender': { dir: 'azure/defender' },
  // A management-group query names no subscription: the request does.
  'azure.cost': { dir: 'azure/cost', query: { subscriptionId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b' } },
  'azure.monitor': { dir: 'azure/monitor' },
  'azure.activity-log': { dir: 'azure/activity-log' },
  'azure.flow-logs': { dir: 'network/azure-flow-logs' },
  'gcp.scc': { dir: 'gcp/scc' },
  'gcp.billing': { dir: 'gcp/billing' },
  'gcp.monitoring': { dir: 'gcp/monitoring' },
  'gcp.audit-log': { dir: 'gcp/audit-log' },
  'gcp.vpc-flow-logs': { dir: 'network/gcp-vpc-flow-logs' },
  kubernetes: {
    dir: 'kubernetes',
    query: { provider: 'aws', accountId: '123456789012', region: 'us-east-1', cluster: 'arn:aws:eks:us-east-1:123456789012:cluster/prod' },
  },
  focus: { dir: 'focus' },
};

// Sources whose items are context, never mining by themselves (a cost anomaly or pinned CPU alone
// is not a miner): their fixtures are the mining scenario's and ordinary ones, but no flag says so.
const CONTEXT_SOURCES = new Set([
  'aws.cost-anomaly',
  'aws.cloudwatch',
  'azure.monitor',
  'azure.cost',
  'gcp.monitoring',
  'gcp.billing',
  'focus',
]);

function contentType(file: string): string {
  if (file.endsWith('.csv')) return 'text/csv';
  if (file.endsWith('.ndjson')) return 'application/x-ndjson';
  if (file.endsWith('.log')) return 'text/plain';
  return 'application/json';
}

function fixturesOf(dir: string): string[] {
  return readdirSync(fixturePath(dir))
    .filter((f) => /\.(json|ndjson|csv|log)$/.test(f))
    .sort();
}

/** What the parser alone makes of a fixture, decoded as the service decodes it. */
function parseDirectly(source: string, file: string, body: string, query: Record<string, string>): ParseResult {
  const type = contentType(file);
  const decoded = type === 'application/json' ? JSON.parse(body) : decodeBody(body, type, TEXT_SOURCES.has(source) || type === 'text/csv');
  return parsers[source]!(decoded, { receivedAt: new Date(), query });
}

interface Reply {
  accepted: number;
  updated: number;
  duplicates: number;
  ignored: number;
  costRows: number;
  signalIds: string[];
}

describe('ingest: every source of the contract, over HTTP, from its fixtures', () => {
  let t: TestApp;
  let db: pg.Client;
  const counts = async () => {
    const r = await db.query<{ signals: string; cost: string }>(
      `SELECT (SELECT count(*) FROM signals)::text AS signals, (SELECT count(*) FROM cost_daily)::text AS cost`,
    );
    return r.rows[0]!;
  };

  before(async () => {
    // SNS envelopes in the fixtures carry AWS's signatures over AWS's certificate, which the test
    // cannot fetch: signature checks have their own test with a local key pair (push-channels).
    t = await startTestApp({ MINEWATCH_SNS_VERIFY: 'false' });
    db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await t?.close();
  });

  it('covers every source the service registers', () => {
    assert.deepEqual(
      Object.keys(SOURCES).sort(),
      Object.keys(parsers)
        .filter((s) => s !== 'signals')
        .sort(),
    );
  });

  for (const [source, { dir, query = {} }] of Object.entries(SOURCES)) {
    it(`${source}: fixtures stored as parsed, idempotent; malformed ones refused whole`, async () => {
      const files = fixturesOf(dir);
      const good = files.filter((f) => !f.includes('malformed'));
      const bad = files.filter((f) => f.includes('malformed'));
      assert.ok(good.length >= 2, `${source} has ${good.length} fixtures`);
      assert.ok(bad.length >= 1, `${source} has a malformed fixture`);
      let mining = 0;
      let notMining = 0;
      for (const file of good) {
        const body = readFileSync(fixturePath(`${dir}/${file}`), 'utf8');
        const expected = parseDirectly(source, file, body, query);
        const url = `/v1/ingest/${source}?${new URLSearchParams(query).toString()}`;
        const res = await t.http.post(url).set(t.auth).set('content-type', contentType(file)).send(body);
        assert.equal(res.status, 200, `${file}: ${res.status} ${JSON.stringify(res.body)}`);
        const reply = res.body as Reply;
        assert.equal(reply.ignored, expected.ignored, `${file}: ignored`);
        assert.equal(reply.costRows, expected.costRows?.length ?? 0, `${file}: cost rows`);
        assert.equal(reply.signalIds.length, expected.signals.length, `${file}: one id per signal`);
        for (const [i, id] of reply.signalIds.entries()) {
          const stored = (await t.http.get(`/v1/signals/${id}`).set(t.auth).expect(200)).body as {
            source: string;
            sourceId: string;
            kind: string;
            mining: boolean;
            accountId: string;
          };
          const want = expected.signals[i]!;
          assert.deepEqual(
            { source: stored.source, sourceId: stored.sourceId, kind: stored.kind, mining: stored.mining, accountId: stored.accountId },
            { source: want.source, sourceId: want.sourceId, kind: want.kind, mining: want.mining, accountId: want.accountId },
            `${file}: signal ${i}`,
          );
        }
        if (expected.signals.some((s) => s.mining)) mining++;
        else notMining++;
        // The same body again: nothing new.
        const before = await counts();
        const again = (await t.http.post(url).set(t.auth).set('content-type', contentType(file)).send(body).expect(200)).body as Reply;
        assert.equal(again.accepted, 0, `${file}: sent twice, accepted again`);
        assert.deepEqual(await counts(), before, `${file}: sent twice, stored more`);
      }
      if (!CONTEXT_SOURCES.has(source)) {
        assert.ok(mining >= 1 && notMining >= 1, `${source}: ${mining} mining and ${notMining} other fixtures`);
      }
      for (const file of bad) {
        const before = await counts();
        const body = readFileSync(fixturePath(`${dir}/${file}`), 'utf8');
        const res = await t.http
          .post(`/v1/ingest/${source}?${new URLSearchParams(query).toString()}`)
          .set(t.auth)
          .set('content-type', contentType(file))
          .send(body);
        assert.equal(res.status, 400, `${file}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        const problems = (res.body as { errors: Array<{ field: string; message: string }> }).errors;
        assert.ok(
          problems.length >= 1 && problems.every((p) => typeof p.field === 'string' && p.message.length > 0),
          JSON.stringify(res.body),
        );
        assert.deepEqual(await counts(), before, `${file}: a refused request stored something`);
      }
    });
  }
});

describe('ingest: a large JSON array of findings, all or nothing', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  const findings = (n: number, prefix = 'big') => {
    const template = JSON.parse(readFileSync(fixturePath('aws/guardduty/finding-bitcointool-dns-camelcase.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return Array.from({ length: n }, (_, i) => ({
      ...template,
      id: `${prefix}${String(i).padStart(6, '0')}`,
      arn: `${String(template['arn'])}-${prefix}${i}`,
    }));
  };

  it('stores every item, answering the ids in request order, as the parser reads them', async () => {
    const body = findings(1_234);
    const expected = parsers['aws.guardduty']!(body, { receivedAt: new Date(), query: {} }).signals;
    const reply = (await t.http.post('/v1/ingest/aws.guardduty').set(t.auth).send(body).expect(200)).body as Reply;
    assert.equal(reply.accepted, 1_234);
    assert.equal(reply.signalIds.length, 1_234);
    for (const i of [0, 249, 250, 777, 1_233]) {
      const stored = (await t.http.get(`/v1/signals/${reply.signalIds[i]}`).set(t.auth).expect(200)).body as { sourceId: string };
      assert.equal(stored.sourceId, expected[i]!.sourceId, `item ${i}`);
    }
    const again = (await t.http.post('/v1/ingest/aws.guardduty').set(t.auth).send(body).expect(200)).body as Reply;
    assert.deepEqual([again.accepted, again.duplicates], [0, 1_234]);
    assert.deepEqual(again.signalIds, reply.signalIds);
  });

  it('refuses the whole array when items far apart are bad, naming each by its index in the array', async () => {
    const body = findings(900, 'bad') as Array<Record<string, unknown>>;
    body[3] = { ...body[3], updatedAt: 'XXXX-XX-XXTXX:XX:XXZ' };
    body[612] = { ...body[612], severity: 'high' };
    const before = (await t.http.get('/v1/signals?source=aws.guardduty&limit=1').set(t.auth).expect(200)).body as { items: unknown[] };
    const res = await t.http.post('/v1/ingest/aws.guardduty').set(t.auth).send(body);
    assert.equal(res.status, 400);
    const problems = (res.body as { errors: Array<{ index: number; field: string }> }).errors;
    assert.deepEqual([...new Set(problems.map((p) => p.index))], [3, 612], JSON.stringify(problems));
    assert.ok(
      problems.some((p) => p.field === '/3/updatedAt'),
      JSON.stringify(problems),
    );
    assert.ok(
      problems.some((p) => p.field === '/612/severity'),
      JSON.stringify(problems),
    );
    const after = (await t.http.get('/v1/signals?source=aws.guardduty&limit=1').set(t.auth).expect(200)).body as { items: unknown[] };
    assert.deepEqual(after.items, before.items, 'nothing of the refused array is stored');
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    try {
      const stored = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM signals WHERE source = 'aws.guardduty' AND source_id LIKE 'bad%'`,
      );
      assert.equal(stored.rows[0]!.n, '0', 'not even the good items before the first bad one');
    } finally {
      await db.end();
    }
  });
});

describe('ingest: Amazon Data Firehose HTTP endpoint delivery', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  const delivery = readFileSync(fixturePath('network/aws-vpc-flow-logs/firehose-http-request.json'), 'utf8');
  const requestId = (JSON.parse(delivery) as { requestId: string }).requestId;
  const firehose = (key: string) => ({
    'content-type': 'application/json',
    'x-amz-firehose-protocol-version': '1.0',
    'x-amz-firehose-request-id': requestId,
    'x-amz-firehose-source-arn': 'arn:aws:firehose:us-east-1:123456789012:deliverystream/vpc-flow-logs',
    'x-amz-firehose-access-key': key,
  });

  it('takes the key from X-Amz-Firehose-Access-Key and answers 200 echoing the request id', async () => {
    const res = await t.http.post('/v1/ingest/aws.vpc-flow-logs').set(firehose(ADMIN_KEY)).send(delivery);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body as Reply & { requestId: string; timestamp: number };
    assert.equal(body.requestId, requestId);
    assert.ok(Math.abs(body.timestamp - Date.now()) < 60_000);
    const expected = parsers['aws.vpc-flow-logs']!(JSON.parse(delivery), { receivedAt: new Date(), query: {} });
    assert.equal(body.signalIds.length, expected.signals.length);
    assert.ok(body.signalIds.length > 0, 'the delivery holds stratum connections');
    assert.equal(res.headers['x-request-id'], requestId);
  });

  it('a wrong key is a 401 whose body Firehose can log: requestId, timestamp, errorMessage', async () => {
    const res = await t.http.post('/v1/ingest/aws.vpc-flow-logs').set(firehose('mwk_not_a_key_at_all_0000000000000000')).send(delivery);
    assert.equal(res.status, 401);
    const body = res.body as { requestId: string; timestamp: number; errorMessage: string; detail: string };
    assert.equal(body.requestId, requestId);
    assert.equal(typeof body.timestamp, 'number');
    assert.equal(body.errorMessage, body.detail);
    assert.ok(!JSON.stringify(body).includes('mwk_not_a_key'), 'the key is not echoed');
  });

  it('a malformed delivery is a 400 naming the bad record, in the same shape', async () => {
    const bad = JSON.stringify({ requestId, timestamp: 1794795725000, records: [{ data: 'not base64 at all %%%' }] });
    const res = await t.http.post('/v1/ingest/aws.vpc-flow-logs').set(firehose(ADMIN_KEY)).send(bad);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const body = res.body as { requestId: string; errorMessage: string; errors: Array<{ field: string }> };
    assert.equal(body.requestId, requestId);
    assert.ok(body.errorMessage.length > 0);
    assert.ok(
      body.errors.some((e) => e.field.startsWith('/records/0')),
      JSON.stringify(body.errors),
    );
  });
});
