/**
 * Webhook delivery throughput to a loopback receiver (issue 6: signed deliveries ≥ 0.5 of plain
 * POSTs). Both sides use undici with 8 requests in flight and the same incident bodies:
 * - baseline: a plain POST through an undici Agent, nothing else;
 * - signed: the delivery path, WebhookSender behind the SSRF guard (connect-time address checks),
 *   Standard Webhooks signing (standardwebhooks package) and outcome classification.
 * A second figure, without a target, runs the whole pipeline on a real database: incident events
 * committed to the outbox, fanned out, queued in pg-boss, claimed, signed, sent and recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createApp } from '#src/bootstrap.js';
import { loadConfig } from '#src/config/config.js';
import { AddressPolicy } from '#src/modules/webhooks/address-policy.js';
import { WebhookSender } from '#src/modules/webhooks/webhook-sender.js';
import { generateSecret, messageId, signatureHeaders } from '#src/modules/webhooks/webhook-signer.js';
import { WebhooksService } from '#src/modules/webhooks/webhooks.service.js';
import { createTestDatabase } from '../test/support/database.js';
import type { Bench, BenchFigure } from './harness.js';

const CONCURRENCY = 8;
const ROUND_MS = 1500;
const ROUNDS = 5;
const PIPELINE_EVENTS = 3000;

/** Bodies shaped like real deliveries: an incident with a few resources, ~1.5 KB. */
function bodies(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      type: 'incident.updated',
      timestamp: new Date().toISOString(),
      data: {
        sequence: i + 1,
        incident: {
          id: `0b6b3f2e-5a8e-4c59-9d61-${String(i).padStart(12, '0')}`,
          status: 'OPEN',
          severity: 'HIGH',
          confidence: 88,
          title: 'Cryptomining on 12 GPU instances in 4 regions after a leaked access key',
          providers: ['aws'],
          accounts: ['123456789012'],
          regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'],
          resources: Array.from({ length: 6 }, (_, r) => ({
            provider: 'aws',
            accountId: '123456789012',
            region: 'us-east-1',
            type: 'aws.ec2.instance',
            id: `i-0abc${r}${i}`,
            instanceType: 'p3.8xlarge',
          })),
          costImpact: { amount: 18423.5, currency: 'USD' },
          attackVector: {
            principals: ['arn:aws:iam::123456789012:user/developer-user'],
            accessKeyIds: ['AKIAIOSFODNN7EXAMPLE'],
            sourceIps: ['185.220.101.7'],
            firstCallAt: null,
          },
          techniques: ['T1496', 'T1078.004'],
          recommendedActions: ['Deactivate access key AKIAIOSFODNN7EXAMPLE', 'Stop the instances', 'Review IAM activity'],
        },
      },
    }),
  );
}

async function receiver(): Promise<{ server: Server; url: string; ids: Set<string> }> {
  const ids = new Set<string>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') ids.add(id);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, ids };
}

/** Operations per second with CONCURRENCY loops for `ms`. */
async function rate(op: (i: number) => Promise<void>, ms = ROUND_MS): Promise<number> {
  let done = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) await op(done++);
    }),
  );
  return (done * 1000) / (performance.now() - start);
}

const bench: Bench = {
  name: `webhook deliveries to a loopback receiver, ${CONCURRENCY} in flight`,
  async run(): Promise<BenchFigure[]> {
    const sink = await receiver();
    const payloads = bodies(64);
    const plainAgent = new Agent();
    const sender = new WebhookSender(new AddressPolicy(['127.0.0.0/8']), 15_000);
    const secrets = [generateSecret()];
    const plain = async (i: number) => {
      const res = await request(sink.url, {
        method: 'POST',
        dispatcher: plainAgent,
        headers: { 'content-type': 'application/json' },
        body: payloads[i % payloads.length]!,
      });
      await res.body.dump();
      if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
    };
    const signed = async (i: number) => {
      const body = payloads[i % payloads.length]!;
      const r = await sender.post(sink.url, body, { ...signatureHeaders(secrets, messageId(`bench-${i}`), new Date(), body) });
      if (r.outcome !== 'succeeded') throw new Error(r.error ?? r.outcome);
    };
    const figures: BenchFigure[] = [];
    try {
      // Warm-up, then short alternating rounds: drift on a shared machine hits both sides alike,
      // and the median round ratio shrugs off a round that a neighbour's burst spoiled.
      await rate(plain, 500);
      await rate(signed, 500);
      const rounds: Array<{ baseline: number; value: number }> = [];
      for (let round = 0; round < ROUNDS; round++) rounds.push({ baseline: await rate(plain), value: await rate(signed) });
      rounds.sort((a, b) => a.value / a.baseline - b.value / b.baseline);
      const { baseline, value } = rounds[Math.floor(rounds.length / 2)]!;
      figures.push({
        name: 'signed webhook deliveries',
        ratioOf: 'signed, SSRF-guarded deliveries/s ÷ plain POSTs/s',
        ratio: value / baseline,
        value,
        baseline,
        unit: 'req/s',
        target: 0.5,
      });
      figures.push(await pipeline(sink, baseline));
    } finally {
      await sender.close();
      await plainAgent.close();
      sink.server.close();
    }
    return figures;
  },
};

/** Events committed to the outbox until the receiver has every one of them, end to end. */
async function pipeline(sink: { url: string; ids: Set<string> }, plainRate: number): Promise<BenchFigure> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-bench-wh-'));
  const app = await createApp(
    loadConfig({
      MINEWATCH_API_KEY: 'mwk_bench_admin_key_0123456789abcdef',
      MINEWATCH_DATA_DIR: dataDir,
      MINEWATCH_WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      MINEWATCH_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
      LOG_LEVEL: 'silent',
    }),
    db.url,
  );
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await app.get(WebhooksService).create({ url: sink.url, eventTypes: ['incident.updated'] });
    const { rows } = await client.query(
      `INSERT INTO incidents (status, severity, confidence, title, providers, accounts, regions, first_seen_at, last_seen_at)
       VALUES ('OPEN', 'HIGH', 88, 'bench', ARRAY['aws'], ARRAY['123456789012'], ARRAY['us-east-1'], now(), now()) RETURNING id`,
    );
    sink.ids.clear();
    const started = performance.now();
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO incident_events (incident_id, type, actor, data) SELECT $1, 'incident.updated', 'bench', '{}' FROM generate_series(1, $2)`,
      [rows[0].id, PIPELINE_EVENTS],
    );
    await client.query(`SELECT pg_notify('minewatch_incident_events', '')`);
    await client.query('COMMIT');
    const deadline = Date.now() + 120_000;
    while (sink.ids.size < PIPELINE_EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (sink.ids.size < PIPELINE_EVENTS) throw new Error(`only ${sink.ids.size} of ${PIPELINE_EVENTS} deliveries arrived`);
    const value = (PIPELINE_EVENTS * 1000) / (performance.now() - started);
    return {
      name: `end-to-end webhook pipeline (${PIPELINE_EVENTS} events: outbox, pg-boss, delivery log)`,
      ratioOf: 'delivered events/s ÷ plain POSTs/s',
      ratio: value / plainRate,
      value,
      baseline: plainRate,
      unit: 'events/s',
    };
  } finally {
    await client.end();
    await app.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export default bench;
