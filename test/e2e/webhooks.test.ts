import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { eventually, WebhookReceiver } from '../fakes/webhook-receiver.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startService, type ServiceProcess } from '../support/process.js';

/*
 * The delivery guarantee as a security platform sees it: a real receiver verifies every signature
 * with the standardwebhooks package and dedupes on webhook-id, while MineWatch runs as a real
 * process (`node dist/src/main.js`) on a shared database. The receiver goes down, answers 500s,
 * answers too slowly, and the service is killed with SIGKILL in the middle of a delivery and
 * started again. At the end the receiver holds exactly the committed incident events: each of
 * them, and nothing else.
 */

const KEY = 'mwk_e2e_webhooks_admin_key_0123456789';
const SUBSCRIBED = ['incident.opened', 'incident.updated', 'incident.escalated', 'incident.status_changed'];
// Timeline entries that reach subscribers (incident.merged arrives as incident.updated).
const SENT_TIMELINE_TYPES = [...SUBSCRIBED, 'incident.merged'];

let n = 0;
/** A mining finding in the given account: the first in an account opens an incident, later ones update it. */
function finding(account: string) {
  n++;
  return {
    sourceId: `e2e-wh-${n}`,
    kind: 'security_finding',
    provider: 'aws',
    accountId: account,
    region: 'us-east-1',
    observedAt: '2026-11-20T10:00:00Z',
    severity: 'HIGH',
    title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    mining: true,
    resources: [{ provider: 'aws', accountId: account, region: 'us-east-1', type: 'aws.ec2.instance', id: `i-e2e${n}` }],
    attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
  };
}

describe('webhook delivery through outages and a kill -9', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let receiver: WebhookReceiver;
  let service: ServiceProcess | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-webhooks-'));
  let env: Record<string, string>;

  before(async () => {
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    receiver = new WebhookReceiver();
    await receiver.start();
    env = {
      DATABASE_URL: db.url,
      MINEWATCH_DATA_DIR: dataDir,
      MINEWATCH_API_KEY: KEY,
      MINEWATCH_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      MINEWATCH_WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      // 5 s → 5 ms, 5 min → 300 ms, 30 min → 1.8 s, 2 h → 7.2 s: outages of a few seconds cost a few attempts.
      MINEWATCH_WEBHOOK_RETRY_SCALE: '0.001',
      MINEWATCH_WEBHOOK_TIMEOUT_MS: '1000',
      MINEWATCH_CORRELATION_POLL_MS: '200',
      LOG_LEVEL: 'info',
    };
  });
  after(async () => {
    service?.child.kill('SIGKILL');
    await service?.waitForExit();
    await receiver.stop();
    await sql.end();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; text: string }> {
    const res = await fetch(`${service!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, text };
  }

  async function ingest(...accounts: string[]): Promise<void> {
    const res = await api('POST', '/v1/ingest/signals', accounts.map(finding));
    assert.equal(res.status, 200, res.text);
  }

  /** Every incident event committed so far that the subscription asked for, by sequence. */
  async function committed(endpointId: string): Promise<number[]> {
    const { rows } = await sql.query(
      `SELECT id FROM incident_events WHERE type = ANY($1) AND at >= (SELECT created_at FROM webhook_endpoints WHERE id = $2) ORDER BY id`,
      [SENT_TIMELINE_TYPES, endpointId],
    );
    return rows.map((r: { id: string }) => Number(r.id));
  }

  async function correlated(): Promise<boolean> {
    const status = await api<{ signals: { pendingCorrelation: number } }>('GET', '/v1/status');
    return status.status === 200 && status.body.signals.pendingCorrelation === 0;
  }

  /** Waits until the receiver has processed every committed event, then checks nothing else came. */
  async function allArrived(endpointId: string, what: string): Promise<number[]> {
    await eventually(`${what}: correlation caught up`, correlated);
    let expected: number[] = [];
    await eventually(
      `${what}: every committed event delivered`,
      async () => {
        expected = await committed(endpointId);
        const got = receiver.sequences();
        return expected.every((s) => got.has(s));
      },
      90_000,
    );
    assert.deepEqual(
      [...receiver.sequences()].sort((a, b) => a - b),
      expected,
      `${what}: exactly the committed events`,
    );
    return expected;
  }

  async function pendingWithAttempts(endpointId: string, attempts: number, error: RegExp): Promise<boolean> {
    const log = await api<{ items: Array<{ attemptCount: number; lastError: string | null }> }>(
      'GET',
      `/v1/webhooks/${endpointId}/deliveries?status=pending`,
    );
    return log.body.items.some((d) => d.attemptCount >= attempts && error.test(d.lastError ?? ''));
  }

  it('delivers every committed event and nothing else, each signature verified, across failures and a crash', async () => {
    service = await startService(env);
    const created = await api<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: receiver.url, eventTypes: SUBSCRIBED });
    assert.equal(created.status, 201, created.text);
    const { id: endpointId, secret } = created.body;
    receiver.secrets = [secret];

    // Healthy: two incidents open, a third finding updates the first.
    await ingest('111111111111', '222222222222');
    await ingest('111111111111');
    const healthy = await allArrived(endpointId, 'healthy receiver');
    assert.ok(healthy.length >= 3);
    assert.ok([...receiver.messages.values()].some((m) => m.type === 'incident.opened'));

    // Down: connections refused while events keep coming; delivered once it is back.
    await receiver.stop();
    await ingest('333333333333', '222222222222');
    await eventually('deliveries retried while the receiver is down', () => pendingWithAttempts(endpointId, 2, /ECONNREFUSED/));
    await receiver.start(receiver.port);
    await allArrived(endpointId, 'after the outage');

    // 500s, then healthy again.
    receiver.mode = { kind: 'status', status: 500, body: 'upstream broke' };
    await ingest('444444444444');
    await eventually('deliveries retried after 500s', () => pendingWithAttempts(endpointId, 2, /HTTP 500/));
    receiver.mode = { kind: 'ok' };
    await allArrived(endpointId, 'after the 500s');

    // Too slow (the sender gives up at 1 s, though the receiver may still process it), then slow but in time.
    receiver.mode = { kind: 'slow', ms: 1500 };
    await ingest('555555555555');
    await eventually('deliveries retried after timeouts', () => pendingWithAttempts(endpointId, 2, /no answer within 1000 ms/));
    receiver.mode = { kind: 'slow', ms: 300 };
    await allArrived(endpointId, 'after the slow answers');
    receiver.mode = { kind: 'ok' };

    // An incident status change is an event too.
    const [incident] = (await api<{ items: Array<{ id: string }> }>('GET', '/v1/incidents?limit=1')).body.items;
    assert.equal((await api('PATCH', `/v1/incidents/${incident!.id}`, { status: 'ACKNOWLEDGED', note: 'paged the on-call' })).status, 200);
    await allArrived(endpointId, 'after a status change');
    assert.ok([...receiver.messages.values()].some((m) => m.type === 'incident.status_changed'));

    // A change that rolls back never reaches anybody.
    await sql.query('BEGIN');
    const { rows } = await sql.query(
      `INSERT INTO incident_events (incident_id, type, actor, data) VALUES ($1, 'incident.updated', 'e2e', '{}') RETURNING id`,
      [incident!.id],
    );
    await sql.query(`SELECT pg_notify('minewatch_incident_events', '')`);
    await sql.query('ROLLBACK');
    const rolledBack = Number(rows[0].id);

    // kill -9 while a delivery is in flight, then start again on the same database.
    receiver.mode = { kind: 'hold' };
    await ingest('666666666666');
    await eventually('a delivery is in flight', () => receiver.heldCount > 0);
    service.child.kill('SIGKILL');
    await service.waitForExit();
    receiver.dropHeld();
    receiver.mode = { kind: 'ok' };
    const beforeRestart = service.output();
    service = await startService(env);
    await ingest('777777777777');
    const final = await allArrived(endpointId, 'after kill -9 and restart');

    assert.ok(!receiver.sequences().has(rolledBack), 'the rolled-back event was never sent');
    assert.deepEqual(receiver.invalid, [], 'every request carried a valid signature');
    assert.deepEqual(receiver.conflicting, [], 'a webhook-id always carries the same body');
    for (const m of receiver.messages.values()) {
      const body = JSON.parse(m.body);
      assert.ok(SUBSCRIBED.includes(body.type));
      assert.equal(typeof body.timestamp, 'string');
      assert.equal(body.data.incident.id, m.incidentId);
    }
    assert.equal(receiver.messages.size, final.length, 'one message per committed event after deduplication');

    // A receiver that processed a message after the sender gave up on it (the slow phase) has it
    // already, while that delivery still waits for its next attempt: let those finish too.
    await eventually(
      'no delivery left pending',
      async () => (await api<{ items: unknown[] }>('GET', `/v1/webhooks/${endpointId}/deliveries?status=pending`)).body.items.length === 0,
      90_000,
    );
    assert.equal(receiver.messages.size, final.length, 'retries of messages already processed were only duplicates');

    // What an operator sees: the log shows the outage, the errors, and the interrupted attempt.
    const outcomes = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ status: string; attempts: Array<{ outcome: string }> }>; nextCursor: string | null } } =
        await api('GET', `/v1/webhooks/${endpointId}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      for (const d of page.body.items) {
        assert.equal(d.status, 'succeeded');
        for (const a of d.attempts) outcomes.add(a.outcome);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    for (const outcome of ['succeeded', 'network_error', 'http_error', 'timeout', 'interrupted'])
      assert.ok(outcomes.has(outcome), `the log shows ${outcome}`);

    assert.ok(!(beforeRestart + service.output()).includes(secret.slice(6)), 'the secret never reached the log');
  });

  it('with DATABASE_URL and no MINEWATCH_ENCRYPTION_KEY: the API explains it, a worker refuses to start', async () => {
    service?.child.kill('SIGTERM');
    await service?.waitForExit();
    const keyless = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'MINEWATCH_ENCRYPTION_KEY'));
    service = await startService({ ...keyless, MINEWATCH_ROLE: 'api' });
    const refused = await api<{ code: string; detail: string }>('POST', '/v1/webhooks', { url: receiver.url, eventTypes: SUBSCRIBED });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, 'WEBHOOKS_UNCONFIGURED');
    assert.match(refused.body.detail, /MINEWATCH_ENCRYPTION_KEY/);
    assert.equal((await api('GET', '/v1/webhooks')).status, 200, 'listing needs no key');
    service.child.kill('SIGTERM');
    await service.waitForExit();
    service = null;

    await assert.rejects(
      startService({ ...keyless, MINEWATCH_ROLE: 'worker' }, 30_000),
      /MINEWATCH_ENCRYPTION_KEY is not set[^\n]*webhook endpoints exist/,
    );
  });
});
