import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestApp, type TestApp } from '../support/app.js';
import { days, FOCUS_13_HEADER, focusLine, type FocusCharge } from '../support/focus.js';

const ROWS = 50_000;
const DAYS = days('2026-10-01', 21);

/** Row i of a generated export: 100 instances billed hourly across three weeks. */
function charge(i: number, accountId: string): FocusCharge {
  return {
    day: DAYS[Math.floor(i / 2400) % DAYS.length]!,
    hour: Math.floor(i / 100) % 24,
    accountId,
    service: 'Amazon Elastic Compute Cloud',
    region: 'eu-west-1',
    resourceId: `i-${(i % 100).toString(16).padStart(17, '0')}`,
    usageType: 'EUW1-BoxUsage:c5.large',
    cost: (1 + (i % 7)) / 100,
  };
}

/** A FOCUS CSV generated while it is sent, never held whole: header, then `rows` lines. */
async function* generated(
  rows: number,
  accountId: string,
  line: (i: number) => string = (i) => focusLine(charge(i, accountId)),
): AsyncGenerator<Buffer> {
  let chunk = FOCUS_13_HEADER + '\n';
  for (let i = 0; i < rows; i++) {
    chunk += line(i);
    if (chunk.length > 64 * 1024) {
      yield Buffer.from(chunk);
      chunk = '';
    }
  }
  yield Buffer.from(chunk);
}

/** Resolves when the request can take more, or is gone. */
function writable(req: ReturnType<typeof request>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/**
 * POSTs a body with chunked transfer encoding (no Content-Length), as a client streaming a file
 * does, and returns the answer even when the server answers before the whole body is sent.
 */
function post(
  t: TestApp,
  path: string,
  contentType: string,
  body: AsyncIterable<Buffer>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const url = new URL(path, t.baseUrl.replace('[::1]', '127.0.0.1'));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...t.auth, 'content-type': contentType, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, headers: res.headers }));
    });
    // Once the server has answered (early, for a rejected body) the rest of the upload is moot.
    req.on('error', (error) => (req.headersSent ? undefined : reject(error)));
    void (async () => {
      for await (const chunk of body) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await writable(req);
      }
      req.end();
    })().catch(() => req.destroy());
  });
}

describe('streaming ingest of large CSV and NDJSON bodies', () => {
  let t: TestApp;
  let sql: pg.Client;
  const storedFor = async (accountId: string) =>
    (
      await sql.query(
        `SELECT count(*)::int AS days, coalesce(sum(d.amount), 0)::text AS total
         FROM cost_daily d JOIN cost_series s USING (series_key) WHERE s.level = 'account' AND s.account_id = $1`,
        [accountId],
      )
    ).rows[0] as { days: number; total: string };

  before(async () => {
    t = await startTestApp();
    sql = new pg.Client({ connectionString: t.db.url });
    await sql.connect();
  });
  after(async () => {
    await sql.end();
    await t.close();
  });

  it(`stores every row of a ${ROWS.toLocaleString('en-US')}-row FOCUS CSV larger than the JSON body limit`, async () => {
    const res = await post(t, '/v1/ingest/focus', 'text/csv', generated(ROWS, '210987654321'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.costRows, ROWS);
    assert.equal(res.body.ignored, 0);
    let cents = 0;
    for (let i = 0; i < ROWS; i++) cents += 1 + (i % 7);
    const stored = await storedFor('210987654321');
    assert.equal(stored.days, DAYS.length);
    assert.equal(Number(stored.total).toFixed(2), (cents / 100).toFixed(2), 'every row is in the daily totals');
  });

  it('a bad row in the middle of a streamed file stores nothing and names the row', async () => {
    const bad = 31_234;
    const line = (i: number) =>
      focusLine({ ...charge(i, '109876543210'), ...(i === bad ? { raw: { BilledCost: '"twelve"', EffectiveCost: 'NULL' } } : {}) });
    const res = await post(t, '/v1/ingest/focus', 'text/csv', generated(40_000, '109876543210', line));
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'INVALID_PAYLOAD');
    assert.deepEqual(
      res.body.errors.map((e: { index: number; field: string }) => [e.index, e.field]),
      [[bad, `/${bad}/BilledCost`]],
    );
    assert.match(res.body.errors[0].message, new RegExp(`CSV line ${bad + 2}`));
    assert.deepEqual(await storedFor('109876543210'), { days: 0, total: '0' }, 'the 31,234 good rows before it were rolled back');
  });

  it('streams NDJSON for any source, and names a line that is not JSON', async () => {
    const signal = (i: number) =>
      JSON.stringify({
        sourceId: `stream-${i}`,
        kind: 'utilization',
        provider: 'aws',
        accountId: '123456789012',
        region: 'us-east-1',
        observedAt: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
        severity: 'INFO',
        title: 'cpu',
        resources: [],
        attributes: { metric: 'cpu_utilization', average: 10 },
      }) + '\n';
    const lines = async function* (n: number, broken?: number) {
      for (let i = 0; i < n; i++) yield Buffer.from(i === broken ? '{"sourceId": \n' : signal(i));
    };
    const ok = await post(t, '/v1/ingest/signals', 'application/x-ndjson', lines(12_000));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.accepted, 12_000);
    assert.equal(new Set(ok.body.signalIds).size, 10_000, 'a streamed reply lists at most 10,000 ids');
    assert.equal(ok.body.signalIdsTruncated, true);

    const bad = await post(t, '/v1/ingest/signals', 'application/x-ndjson', lines(8_000, 7_000));
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.errors.map((e: { index: number; field: string }) => [e.index, e.field]),
      [[7_000, 'line 7001']],
    );
  });
});

describe('streamed bodies over MINEWATCH_MAX_STREAM_BYTES', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MINEWATCH_MAX_STREAM_BYTES: String(1024 * 1024) });
  });
  after(async () => t.close());

  it('answers 413 at once when Content-Length says the body is too large', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 'a');
    const res = await t.http.post('/v1/ingest/focus').set(t.auth).set('content-type', 'text/csv').send(body).expect(413);
    assert.match(res.headers['content-type'], /application\/problem\+json/);
    assert.equal(res.body.code, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 413 when a chunked body grows past the limit, and stores nothing', async () => {
    const res = await post(t, '/v1/ingest/focus', 'text/csv', generated(5_000, '555566667777'));
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'PAYLOAD_TOO_LARGE');
    const sql = new pg.Client({ connectionString: t.db.url });
    await sql.connect();
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM cost_series WHERE account_id = '555566667777'`);
    await sql.end();
    assert.equal(rows[0].n, 0);
  });
});
