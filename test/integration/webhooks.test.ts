import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { CorrelationService } from '#src/modules/correlation/correlation.service.js';
import { WebhookDeliveryWorker } from '#src/modules/webhooks/webhook-delivery.worker.js';
import { WebhookDispatcher } from '#src/modules/webhooks/webhook-dispatcher.service.js';
import { WebhooksRepository } from '#src/modules/webhooks/webhooks.repository.js';
import { eventually, WebhookReceiver } from '../fakes/webhook-receiver.js';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * The outbox and delivery machinery on the real database, driven by hand: the app runs in the api
 * role, so no background loop races the test; the test calls the correlation engine, the
 * dispatcher and the delivery worker itself, exactly the code the worker role runs.
 */

const ENV = {
  MINEWATCH_ROLE: 'api',
  MINEWATCH_WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
  MINEWATCH_WEBHOOK_RETRY_SCALE: '0.001',
  MINEWATCH_WEBHOOK_TIMEOUT_MS: '1000',
  MINEWATCH_ENCRYPTION_KEY: Buffer.alloc(32, 42).toString('base64'),
};

let findings = 0;
/** A GuardDuty-like mining finding as MineWatch signals: each opens an incident in its own account. */
function miningFinding(over: Record<string, unknown> = {}) {
  findings++;
  const account = String(200000000000 + findings);
  return {
    sourceId: `wh-finding-${findings}`,
    kind: 'security_finding',
    provider: 'aws',
    accountId: account,
    region: 'us-east-1',
    observedAt: '2026-11-20T10:00:00Z',
    severity: 'HIGH',
    title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    mining: true,
    resources: [{ provider: 'aws', accountId: account, region: 'us-east-1', type: 'aws.ec2.instance', id: `i-wh${findings}` }],
    attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
    ...over,
  };
}

describe('webhook outbox and delivery on the real database', () => {
  let t: TestApp;
  let db: pg.Client;
  let receiver: WebhookReceiver;
  let dispatcher: WebhookDispatcher;
  let worker: WebhookDeliveryWorker;
  let correlation: CorrelationService;

  before(async () => {
    t = await startTestApp(ENV);
    db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    receiver = new WebhookReceiver();
    await receiver.start();
    dispatcher = t.app.get(WebhookDispatcher);
    worker = t.app.get(WebhookDeliveryWorker);
    correlation = t.app.get(CorrelationService);
  });
  after(async () => {
    await receiver.stop();
    await db.end();
    await t.close();
  });

  async function subscribe(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const res = await t.http
      .post('/v1/webhooks')
      .set(t.auth)
      .send({
        url: receiver.url,
        eventTypes: ['incident.opened', 'incident.updated', 'incident.escalated', 'incident.status_changed'],
        ...body,
      })
      .expect(201);
    receiver.secrets.push(res.body.secret);
    return res.body;
  }

  async function ingest(...items: object[]): Promise<void> {
    await t.http.post('/v1/ingest/signals').set(t.auth).send(items).expect(200);
    await correlation.drain();
  }

  async function deliveriesOf(endpointId: string): Promise<Array<{ id: string; event_id: string; status: string; attempts: number }>> {
    const { rows } = await db.query(
      `SELECT id, event_id::text AS event_id, status, attempts FROM webhook_deliveries d WHERE endpoint_id = $1 ORDER BY d.event_id`,
      [endpointId],
    );
    return rows;
  }

  /** What the worker role does when its wake-up jobs come: one attempt of every delivery now due. */
  async function deliverOnce(): Promise<number> {
    const { rows } = await db.query(
      `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND lease_until IS NULL AND next_attempt_at <= now()`,
    );
    await worker.handle(rows.map((r: { id: string }) => ({ data: { deliveryId: r.id } }) as never));
    return rows.length;
  }

  /** Attempts until nothing is due (a failing receiver's retries come due later). */
  async function deliverDue(): Promise<void> {
    while ((await deliverOnce()) > 0);
  }

  /** Every page of an endpoint's delivery log, as an operator would read it. */
  async function deliveryLog(endpointId: string): Promise<Array<{ id: string; status: string; webhookId: string }>> {
    const items = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string; status: string; webhookId: string }>; nextCursor: string | null } } = await t.http
        .get(`/v1/webhooks/${endpointId}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
        .set(t.auth)
        .expect(200);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  async function insertEvent(client: pg.Client, incidentId: string, type = 'incident.updated'): Promise<string> {
    const { rows } = await client.query(
      `INSERT INTO incident_events (incident_id, type, actor, data) VALUES ($1, $2, 'test', '{}') RETURNING id::text`,
      [incidentId, type],
    );
    return rows[0].id;
  }

  it('fans out each committed event once, in commit order, and never a rolled-back one', async () => {
    const endpoint = await subscribe();
    await ingest(miningFinding());
    const [opened] = (
      await db.query(`SELECT id::text, incident_id FROM incident_events WHERE type = 'incident.opened' ORDER BY id DESC LIMIT 1`)
    ).rows;
    const incidentId: string = opened.incident_id;

    // A takes an id first but commits last; B commits in between; C rolls back.
    const [a, b, c] = [
      new pg.Client({ connectionString: t.db.url }),
      new pg.Client({ connectionString: t.db.url }),
      new pg.Client({ connectionString: t.db.url }),
    ];
    await Promise.all([a.connect(), b.connect(), c.connect()]);
    try {
      await a.query('BEGIN');
      const early = await insertEvent(a, incidentId);
      await b.query('BEGIN');
      const late = await insertEvent(b, incidentId);
      await b.query('COMMIT');
      await c.query('BEGIN');
      const rolledBack = await insertEvent(c, incidentId);
      await c.query('ROLLBACK');
      assert.ok(Number(early) < Number(late));

      await dispatcher.drain();
      assert.deepEqual(
        (await deliveriesOf(endpoint.id)).map((d) => d.event_id),
        [opened.id],
        'B is held back while A, which took its id earlier, is still open: the cursor must not pass it',
      );

      await a.query('COMMIT');
      await dispatcher.drain();
      const events = (await deliveriesOf(endpoint.id)).map((d) => d.event_id);
      assert.deepEqual(events, [opened.id, early, late]);
      assert.ok(!events.includes(rolledBack));

      await deliverDue();
      assert.deepEqual(
        [...receiver.sequences()].sort((x, y) => x - y),
        [opened.id, early, late].map(Number),
      );
      const first = [...receiver.messages.values()].find((m) => m.sequence === Number(opened.id))!;
      const body = JSON.parse(first.body);
      assert.equal(body.type, 'incident.opened');
      assert.equal(body.data.incident.id, incidentId);
      const rest = (await t.http.get(`/v1/incidents/${incidentId}`).set(t.auth).expect(200)).body;
      for (const field of [
        'id',
        'status',
        'severity',
        'confidence',
        'title',
        'providers',
        'accounts',
        'regions',
        'resources',
        'costImpact',
        'attackVector',
        'techniques',
      ]) {
        assert.deepEqual(body.data.incident[field], rest[field], `payload ${field} is what REST returns`);
      }
      assert.equal(body.data.incident.evidence, undefined);
    } finally {
      await Promise.all([a.end(), b.end(), c.end()]);
    }
  });

  it('fans out once when several replicas dispatch at the same time', async () => {
    const replica = await startTestApp(ENV, { db: t.db });
    try {
      const endpoint = await subscribe();
      const [{ incident_id: incidentId }] = (await db.query(`SELECT incident_id FROM incident_events LIMIT 1`)).rows;
      const ids: string[] = [];
      // More than two of the dispatcher's batches of 200, ids past 100 (text order would differ).
      for (let i = 0; i < 450; i++) ids.push(await insertEvent(db, incidentId));
      await Promise.all([dispatcher.drain(), replica.app.get(WebhookDispatcher).drain(), dispatcher.drain()]);
      const deliveries = await deliveriesOf(endpoint.id);
      assert.deepEqual(
        deliveries.map((d) => d.event_id),
        ids,
      );
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook-delivery' AND data->>'deliveryId' = ANY($1)`,
        [deliveries.map((d) => d.id)],
      );
      assert.equal(rows[0].n, ids.length, 'one wake-up job per delivery');
      await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(204);
      await deliverDue();
    } finally {
      await replica.close();
    }
  });

  it('sends each endpoint only the event types, severities and clouds it asked for; merges arrive as incident.updated', async () => {
    await deliverDue();
    for (const w of (await t.http.get('/v1/webhooks').set(t.auth).expect(200)).body.items)
      await t.http.delete(`/v1/webhooks/${w.id}`).set(t.auth).expect(204);
    const critical = await subscribe({ eventTypes: ['incident.opened'], minSeverity: 'critical' });
    const gcpOnly = await subscribe({ eventTypes: ['incident.opened'], providers: ['gcp'] });
    const awsChanges = await subscribe({ eventTypes: ['incident.updated', 'incident.status_changed'], providers: ['aws'] });
    await ingest(miningFinding());
    const [incident] = (await t.http.get('/v1/incidents?limit=1').set(t.auth).expect(200)).body.items;
    assert.notEqual(incident.severity, 'CRITICAL', 'precondition: one finding does not make a critical incident');
    await t.http.patch(`/v1/incidents/${incident.id}`).set(t.auth).send({ status: 'ACKNOWLEDGED' }).expect(200);
    // A merge as the correlation engine records it, in the incident's own transaction.
    await db.query('BEGIN');
    await insertEvent(db, incident.id, 'incident.merged');
    await insertEvent(db, incident.id, 'incident.merged_into');
    await db.query('COMMIT');
    await dispatcher.drain();
    assert.equal((await deliveriesOf(critical.id)).length, 0);
    assert.equal((await deliveriesOf(gcpOnly.id)).length, 0);
    const types = (
      await db.query(
        `SELECT m.event_type FROM webhook_deliveries d JOIN webhook_messages m USING (event_id) WHERE d.endpoint_id = $1 ORDER BY d.event_id`,
        [awsChanges.id],
      )
    ).rows.map((r: { event_type: string }) => r.event_type);
    assert.deepEqual(types, ['incident.status_changed', 'incident.updated']);
    await deliverDue();
  });

  it('retries failures, logs every attempt, and succeeds with the same webhook-id', async () => {
    const endpoint = await subscribe({ eventTypes: ['incident.opened'] });
    // Retry-After 60 s is 60 ms at this scale: longer than the 5 ms step it replaces.
    receiver.mode = { kind: 'status', status: 503, headers: { 'retry-after': '60' }, body: 'maintenance page' };
    await ingest(miningFinding());
    await dispatcher.drain();
    await deliverOnce();
    const [{ wait }] = (
      await db.query(
        `SELECT extract(epoch FROM d.next_attempt_at - a.at) * 1000 AS wait FROM webhook_deliveries d JOIN webhook_delivery_attempts a ON a.delivery_id = d.id WHERE d.endpoint_id = $1`,
        [endpoint.id],
      )
    ).rows;
    assert.ok(Number(wait) >= 60, `Retry-After honoured: next attempt ${wait} ms after the first`);
    receiver.mode = { kind: 'slow', ms: 1500 };
    await eventually(
      'the retry is due',
      async () =>
        (await db.query(`SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND next_attempt_at <= now()`, [endpoint.id])).rowCount ===
        1,
    );
    await deliverOnce();
    receiver.mode = { kind: 'ok' };
    await eventually('the delivery succeeds', async () => {
      await deliverDue();
      return (await deliveriesOf(endpoint.id))[0]?.status === 'succeeded';
    });
    const log = (await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries`).set(t.auth).expect(200)).body;
    assert.equal(log.items.length, 1);
    const [d] = log.items;
    assert.equal(d.status, 'succeeded');
    assert.equal(d.eventType, 'incident.opened');
    assert.match(d.webhookId, /^msg_[0-9a-f]{32}$/);
    assert.deepEqual(
      d.attempts
        .slice(0, 2)
        .map((a: { outcome: string; statusCode: number | null; error: string | null }) => [a.outcome, a.statusCode, a.error]),
      [
        ['http_error', 503, 'HTTP 503'],
        ['timeout', null, 'no answer within 1000 ms'],
      ],
    );
    assert.equal(d.attempts.at(-1).outcome, 'succeeded');
    assert.equal(d.attemptCount, d.attempts.length);
    assert.ok(!JSON.stringify(log).includes('maintenance page'), "the receiver's body is not logged");
    const ids = receiver.requests.filter((r) => JSON.parse(r.body).data?.sequence === d.sequence).map((r) => r.headers['webhook-id']);
    assert.ok(ids.length >= 3);
    assert.deepEqual(new Set(ids), new Set([d.webhookId]), 'the same webhook-id on every attempt');
    const metrics = (await t.http.get('/metrics').set(t.auth).expect(200)).text;
    assert.match(metrics, /minewatch_webhook_deliveries_total\{outcome="http_error"\} [1-9]/);
    assert.match(metrics, /minewatch_webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
  });

  it('gives up after the last scheduled attempt', async () => {
    const endpoint = await subscribe({ eventTypes: ['incident.opened'] });
    receiver.mode = { kind: 'status', status: 500 };
    await ingest(miningFinding());
    await dispatcher.drain();
    // Scaled by 0.001 the 27.6-hour schedule takes about 100 s; skip the waits, not the attempts.
    await eventually('the delivery is given up', async () => {
      await db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1 AND status = 'pending'`, [endpoint.id]);
      await deliverDue();
      return (await deliveriesOf(endpoint.id))[0]?.status === 'failed';
    });
    const [d] = await deliveriesOf(endpoint.id);
    assert.equal(d!.attempts, 8);
    receiver.mode = { kind: 'ok' };
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(204);
  });

  it('410 Gone disables the endpoint, visible in GET; enabling and replaying sends what it missed, same ids', async () => {
    for (const w of (await t.http.get('/v1/webhooks').set(t.auth).expect(200)).body.items)
      await t.http.delete(`/v1/webhooks/${w.id}`).set(t.auth).expect(204);
    const endpoint = await subscribe();
    receiver.mode = { kind: 'status', status: 410 };
    await ingest(miningFinding(), miningFinding());
    await dispatcher.drain();
    await deliverDue();
    const got = (await t.http.get(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(200)).body;
    assert.equal(got.status, 'disabled');
    assert.match(got.disabledReason, /410 Gone/);
    assert.equal(got.events[0].type, 'webhook.disabled');
    assert.match(got.events[0].detail, /410/);
    const failed = await deliveriesOf(endpoint.id);
    const statuses = failed.map((d) => d.status);
    assert.deepEqual(new Set(statuses), new Set(['failed']), 'nothing stays pending for a disabled endpoint');
    const sentBefore = receiver.requests.length;
    await ingest(miningFinding());
    await dispatcher.drain();
    assert.equal((await deliveriesOf(endpoint.id)).length, statuses.length, 'a disabled endpoint gets no new deliveries');
    await t.http.post(`/v1/webhooks/${endpoint.id}/replay`).set(t.auth).send({ since: '2020-01-01T00:00:00Z' }).expect(409);

    receiver.mode = { kind: 'ok' };
    const enabled = (await t.http.post(`/v1/webhooks/${endpoint.id}/enable`).set(t.auth).expect(200)).body;
    assert.equal(enabled.status, 'active');
    assert.equal(enabled.events[0].type, 'webhook.enabled');
    const replay = (await t.http.post(`/v1/webhooks/${endpoint.id}/replay`).set(t.auth).send({ since: '2020-01-01T00:00:00Z' }).expect(202))
      .body;
    const all = (
      await db.query(
        `SELECT count(*)::int AS n FROM incident_events WHERE type IN ('incident.opened','incident.updated','incident.escalated','incident.status_changed','incident.merged')`,
      )
    ).rows[0].n;
    assert.equal(replay.queued, all, 'every matching event since then, including those from before the endpoint existed');
    await deliverDue();
    const log = await deliveryLog(endpoint.id);
    assert.equal(log.length, all);
    assert.ok(log.every((d: { status: string }) => d.status === 'succeeded'));
    const answered410 = new Set(receiver.requests.slice(0, sentBefore).map((r) => r.headers['webhook-id']));
    const resent = log.filter((d: { id: string }) => failed.some((f) => f.id === d.id));
    assert.equal(resent.length, failed.length);
    for (const d of resent) assert.ok(answered410.has(d.webhookId), 'a replayed delivery keeps its webhook-id, so receivers dedupe it');
  });

  it('an endpoint failing for five days is disabled and says so', async () => {
    const endpoint = await subscribe({ eventTypes: ['incident.opened'] });
    receiver.mode = { kind: 'status', status: 500 };
    await ingest(miningFinding());
    await dispatcher.drain();
    await db.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '5 days 1 hour' WHERE id = $1`, [endpoint.id]);
    await deliverDue();
    const got = (await t.http.get(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(200)).body;
    assert.equal(got.status, 'disabled');
    assert.match(got.disabledReason, /every delivery failed for 121 hours/);
    assert.equal(got.events[0].type, 'webhook.disabled');
    receiver.mode = { kind: 'ok' };
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(204);
  });

  it('a delivery whose worker died mid-attempt is logged as interrupted and sent again', async () => {
    const endpoint = await subscribe({ eventTypes: ['incident.opened'] });
    await ingest(miningFinding());
    await dispatcher.drain();
    const [pending] = await deliveriesOf(endpoint.id);
    // What a kill -9 leaves behind: a claimed attempt whose lease runs out with nobody to finish it.
    const claim = await t.app.get(WebhooksRepository).claim(pending!.id, 60_000);
    assert.ok(claim);
    await db.query(`UPDATE webhook_deliveries SET lease_until = now() - interval '1 second' WHERE id = $1`, [pending!.id]);
    assert.equal(await worker.sweep(), 1);
    await deliverDue();
    const [d] = (await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries`).set(t.auth).expect(200)).body.items;
    assert.equal(d.status, 'succeeded');
    assert.deepEqual(
      d.attempts.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome]),
      [
        [1, 'interrupted'],
        [2, 'succeeded'],
      ],
    );
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(204);
  });

  it('after a secret rotation signs with both secrets for the grace period', async () => {
    const endpoint = await subscribe({ eventTypes: ['incident.opened'] });
    const rotated = (await t.http.post(`/v1/webhooks/${endpoint.id}/rotate-secret`).set(t.auth).expect(200)).body;
    assert.match(rotated.secret, /^whsec_/);
    assert.notEqual(rotated.secret, endpoint.secret);
    assert.ok(new Date(rotated.previousSecretExpiresAt).getTime() > Date.now() + 23 * 3_600_000);
    receiver.secrets.push(rotated.secret);
    await ingest(miningFinding());
    await dispatcher.drain();
    await deliverDue();
    const [d] = (await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries`).set(t.auth).expect(200)).body.items;
    const request = receiver.requests.findLast((r) => r.headers['webhook-id'] === d.webhookId)!;
    assert.equal(request.headers['webhook-signature']!.split(' ').length, 2);
    for (const secret of [endpoint.secret, rotated.secret]) new Webhook(secret).verify(request.body, request.headers);
    const got = (await t.http.get(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(200)).body;
    assert.equal(got.events[0].type, 'webhook.secret_rotated');
    assert.equal(got.previousSecretExpiresAt, rotated.previousSecretExpiresAt);
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(204);
  });

  it('retries one delivery by hand and pages the delivery log', async () => {
    const endpoint = await subscribe({ eventTypes: ['incident.opened'] });
    await ingest(miningFinding(), miningFinding(), miningFinding());
    await dispatcher.drain();
    await deliverDue();
    const p1 = (await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries?limit=2`).set(t.auth).expect(200)).body;
    assert.equal(p1.items.length, 2);
    const p2 = (await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${p1.nextCursor}`).set(t.auth).expect(200)).body;
    assert.equal(p2.items.length, 1);
    assert.equal(p2.nextCursor, null);
    assert.equal(new Set([...p1.items, ...p2.items].map((d: { id: string }) => d.id)).size, 3);
    await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries?cursor=nope`).set(t.auth).expect(400);
    await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries?status=lost`).set(t.auth).expect(400);

    const target = p2.items[0];
    const before = receiver.requests.filter((r) => r.headers['webhook-id'] === target.webhookId).length;
    await t.http.post(`/v1/webhooks/${endpoint.id}/deliveries/${target.id}/retry`).set(t.auth).expect(202, { queued: 1 });
    await deliverDue();
    assert.equal(receiver.requests.filter((r) => r.headers['webhook-id'] === target.webhookId).length, before + 1);
    const again = (
      await t.http.get(`/v1/webhooks/${endpoint.id}/deliveries?status=succeeded&limit=100`).set(t.auth).expect(200)
    ).body.items.find((d: { id: string }) => d.id === target.id);
    assert.equal(again.attemptCount, 2);
    await t.http.post(`/v1/webhooks/${endpoint.id}/deliveries/00000000-0000-4000-8000-000000000000/retry`).set(t.auth).expect(404);
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(204);
  });

  it('stores secrets only sealed and shows them only when created or rotated', async () => {
    const endpoint = await subscribe();
    const { rows } = await db.query(`SELECT row_to_json(w)::text AS row FROM webhook_endpoints w WHERE id = $1`, [endpoint.id]);
    assert.ok(!rows[0].row.includes(endpoint.secret.slice(6)), 'not in clear in the database');
    const all = JSON.stringify([
      (await t.http.get(`/v1/webhooks/${endpoint.id}`).set(t.auth).expect(200)).body,
      (await t.http.get('/v1/webhooks').set(t.auth).expect(200)).body,
    ]);
    assert.ok(!all.includes('whsec_') && !all.includes(endpoint.secret.slice(6)) && !/sealed|secret"/i.test(all));
  });
});
