/**
 * End to end: from the 2xx of a mining finding's ingest to its signed `incident.opened` webhook
 * at a loopback receiver, while 1,000 other signals per second stream in (issue 8: p99 < 1 s), and
 * the resident memory of the process under that load. The baseline is the same receiver's
 * round trip for a plain POST, so the ratio says how many plain round trips one detection costs.
 * The service, the load and the receiver share one process (and its RSS) on 2 cores.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '#src/bootstrap.js';
import { loadConfig } from '#src/config/config.js';
import { WebhooksService } from '#src/modules/webhooks/webhooks.service.js';
import { createTestDatabase } from '../test/support/database.js';
import type { Bench, BenchFigure } from './harness.js';

const KEY = 'mwk_bench_admin_key_0123456789abcdef';
const FINDINGS = 40;
const BACKGROUND_PER_SECOND = 1000;

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const bench: Bench = {
  name: `end-to-end latency, mining finding 2xx → signed webhook, under ${BACKGROUND_PER_SECOND} signals/s`,
  async run(): Promise<BenchFigure[]> {
    const arrivals = new Map<string, number>();
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body || '{}') as { type?: string; data?: { incident?: { accounts?: string[] } } };
        if (parsed.type === 'incident.opened')
          for (const a of parsed.data?.incident?.accounts ?? []) if (!arrivals.has(a)) arrivals.set(a, performance.now());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-bench-latency-'));
    const app = await createApp(
      loadConfig({
        MINEWATCH_API_KEY: KEY,
        MINEWATCH_DATA_DIR: dataDir,
        MINEWATCH_WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
        MINEWATCH_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        MINEWATCH_RATE_LIMIT_PER_MINUTE: '0',
        MINEWATCH_CORRELATION_POLL_MS: '200',
        LOG_LEVEL: 'silent',
      }),
      db.url,
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await app.get(WebhooksService).create({ url: receiverUrl, eventTypes: ['incident.opened'] });
    const post = (body: unknown) =>
      fetch(`${url}/v1/ingest/signals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // Baseline: a plain POST round trip to the same receiver.
    const plain: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = performance.now();
      await (await fetch(receiverUrl, { method: 'POST', body: '{}' })).arrayBuffer();
      plain.push(performance.now() - start);
    }

    let streaming = true;
    let streamed = 0;
    const rss: number[] = [];
    const background = (async () => {
      for (let tick = 0; streaming; tick++) {
        const started = performance.now();
        const batch = Array.from({ length: BACKGROUND_PER_SECOND / 10 }, (_, i) => ({
          sourceId: `bg-${tick}-${i}`,
          kind: 'utilization',
          provider: 'aws',
          accountId: String(500000000000 + (i % 100)),
          region: 'us-east-1',
          observedAt: new Date(Date.UTC(2026, 10, 1) + tick * 100).toISOString(),
          title: 'cpu',
          resources: [
            { provider: 'aws', accountId: String(500000000000 + (i % 100)), region: 'us-east-1', type: 'aws.ec2.instance', id: `i-bg${i}` },
          ],
          attributes: { metric: 'cpu_utilization', average: 30, sustainedHigh: false },
        }));
        await (await post(batch)).arrayBuffer();
        streamed += batch.length;
        rss.push(process.memoryUsage().rss);
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - started))));
      }
    })();
    const loadStarted = performance.now();

    const latencies: number[] = [];
    try {
      await new Promise((r) => setTimeout(r, 2000));
      for (let i = 0; i < FINDINGS; i++) {
        const account = String(900000000000 + i);
        const res = await post({
          sourceId: `lat-${i}`,
          kind: 'security_finding',
          provider: 'aws',
          accountId: account,
          region: 'us-east-1',
          observedAt: new Date().toISOString(),
          title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
          mining: true,
          severity: 'HIGH',
          resources: [{ provider: 'aws', accountId: account, region: 'us-east-1', type: 'aws.ec2.instance', id: `i-lat${i}` }],
        });
        const acked = performance.now();
        if (res.status !== 200) throw new Error(await res.text());
        for (let w = 0; !arrivals.has(account); w++) {
          if (w > 3000) throw new Error(`no webhook for ${account} within 30 s`);
          await new Promise((r) => setTimeout(r, 10));
        }
        latencies.push(arrivals.get(account)! - acked);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      streaming = false;
      await background;
      await app.close();
      await new Promise((r) => receiver.close(r));
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const rate = (streamed * 1000) / (performance.now() - loadStarted);
    const plainP50 = pct(plain, 0.5);
    const peakRss = Math.max(...rss) / 1024 / 1024;
    console.log(`  (background ingest achieved ${rate.toFixed(0)} signals/s; ${FINDINGS} findings)`);
    return [
      {
        name: 'latency p50, finding 2xx → webhook received',
        ratioOf: 'latency ÷ plain POST round trip',
        ratio: pct(latencies, 0.5) / plainP50,
        value: pct(latencies, 0.5),
        baseline: plainP50,
        unit: 'ms',
      },
      {
        name: 'latency p99, finding 2xx → webhook received (target < 1000 ms)',
        ratioOf: 'latency ÷ plain POST round trip',
        ratio: pct(latencies, 0.99) / plainP50,
        value: pct(latencies, 0.99),
        baseline: plainP50,
        unit: 'ms',
      },
      {
        name: 'resident memory under that load',
        ratioOf: 'peak RSS ÷ RSS at start of load',
        ratio: peakRss / (rss[0]! / 1024 / 1024),
        value: peakRss,
        baseline: rss[0]! / 1024 / 1024,
        unit: 'MB',
      },
    ];
  },
};

export default bench;
