/**
 * Issue 3: a 1 GB FOCUS CSV streamed through `POST /v1/ingest/focus` must be stored without being
 * held in memory ("under 300 MB resident"). The server runs as its own process (`node
 * dist/src/main.js`, as `npm start` runs it) so that its resident memory can be sampled alone:
 * every 100 ms from /proc while the file streams in, against the same process's idle RSS measured
 * just before. Throughput is compared with a raw `COPY` of the same file into a scratch table of
 * text columns: the ratio is the cost of everything the ingest path does on top of loading the
 * rows (CSV parsing in Node, validation, daily series, the detector, one transaction).
 * `MINEWATCH_BENCH_FOCUS_MB` sets the file size (default 1024); `MINEWATCH_BENCH_NODE_OPTIONS`
 * passes V8 options to the server alone (e.g. `--max-old-space-size=320`, to see how a heap cap
 * bounds its resident memory); `MINEWATCH_BENCH_RSS_TIMELINE=1` prints the RSS samples.
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createTestDatabase } from '../test/support/database.js';
import { days, FOCUS_13_HEADER, focusLine } from '../test/support/focus.js';
import { startService } from '../test/support/process.js';
import type { Bench, BenchFigure } from './harness.js';

const TARGET_MB = Number(process.env['MINEWATCH_BENCH_FOCUS_MB'] ?? 1024);
const KEY = 'mwk_bench_admin_key_0123456789abcdef';
const SERVICES = ['Amazon Elastic Compute Cloud', 'Amazon Elastic Container Service', 'AWS Lambda'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2'];
const RSS_TARGET_MB = 300;

/**
 * Writes a FOCUS 1.3 export of hourly charges, day by day and hour by hour across ~2,000
 * resources in four accounts, until it reaches TARGET_MB; returns its row count.
 */
async function writeExport(path: string): Promise<number> {
  const target = TARGET_MB * 1024 * 1024;
  const resources = Math.max(10, Math.ceil(target / (734 * 24 * 30)));
  const out = createWriteStream(path);
  let bytes = 0;
  let rows = 0;
  let chunk = FOCUS_13_HEADER + '\n';
  const flush = async () => {
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    chunk = '';
  };
  outer: for (const day of days('2026-10-01', 365)) {
    for (let hour = 0; hour < 24; hour++) {
      for (let r = 0; r < resources; r++) {
        chunk += focusLine({
          day,
          hour,
          accountId: String(100000000000 + (r % 4)),
          service: SERVICES[r % SERVICES.length]!,
          region: REGIONS[(r >> 2) % REGIONS.length]!,
          resourceId: `i-${r.toString(16).padStart(17, '0')}`,
          usageType: r % 50 === 0 ? 'USE1-BoxUsage:p3.2xlarge' : 'USE1-BoxUsage:c5.large',
          cost: r % 50 === 0 ? 3.06 : 0.085 + (r % 7) / 1000,
        });
        rows++;
        if (chunk.length >= 1 << 20) {
          await flush();
          if (bytes >= target) break outer;
        }
      }
    }
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return rows;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Streams the file as the request body (with its Content-Length, as curl --data-binary @file does). */
function postFile(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/ingest/focus`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/csv', 'content-length': String(statSync(path).size) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    createReadStream(path, { highWaterMark: 1 << 20 }).pipe(req);
  });
}

async function copyRate(url: string, path: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = FOCUS_13_HEADER.split(',').map((c) => `${c} text`);
    await client.query(`CREATE TABLE focus_copy_baseline (${columns.join(', ')})`);
    const start = performance.now();
    await pipeline(
      createReadStream(path, { highWaterMark: 1 << 20 }),
      client.query(copyFrom(`COPY focus_copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true, NULL 'NULL')`)),
    );
    return (rows * 1000) / (performance.now() - start);
  } finally {
    await client.end();
  }
}

const bench: Bench = {
  name: `streaming a ${TARGET_MB.toLocaleString('en-US')} MB FOCUS CSV through POST /v1/ingest/focus`,
  async run(): Promise<BenchFigure[]> {
    const dir = mkdtempSync(join(tmpdir(), 'minewatch-focus-bench-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'focus.csv');
    const db = await createTestDatabase();
    try {
      const rows = await writeExport(file);
      const size = statSync(file).size;
      const service = await startService({
        DATABASE_URL: db.url,
        MINEWATCH_DATA_DIR: join(dir, 'data'),
        MINEWATCH_API_KEY: KEY,
        MINEWATCH_RATE_LIMIT_PER_MINUTE: '0',
        // Progress lines are logged at info.
        LOG_LEVEL: 'info',
        // V8 options for the server alone (e.g. --max-old-space-size=320), to see their effect.
        ...(process.env['MINEWATCH_BENCH_NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['MINEWATCH_BENCH_NODE_OPTIONS'] } : {}),
      });
      const pid = service.child.pid!;
      let peak = 0;
      let apiRate = 0;
      let idle = 0;
      try {
        // Idle: after start-up has settled, before the request.
        await new Promise((r) => setTimeout(r, 3000));
        const samples: number[] = [];
        for (let i = 0; i < 10; i++) {
          samples.push(rssMb(pid));
          await new Promise((r) => setTimeout(r, 100));
        }
        idle = median(samples);
        const timeline: number[] = [];
        const sampler = setInterval(() => {
          const rss = rssMb(pid);
          peak = Math.max(peak, rss);
          timeline.push(rss);
        }, 100);
        const start = performance.now();
        const res = await postFile(service.url, file);
        const ms = performance.now() - start;
        clearInterval(sampler);
        peak = Math.max(peak, rssMb(pid));
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.body.slice(0, 2000)}`);
        const reply = JSON.parse(res.body) as { costRows: number };
        if (reply.costRows !== rows) throw new Error(`stored ${reply.costRows} of ${rows} rows`);
        apiRate = (rows * 1000) / ms;
        if (process.env['MINEWATCH_BENCH_RSS_TIMELINE'])
          console.log(
            '  RSS every 2 s:',
            timeline
              .filter((_, i) => i % 20 === 0)
              .map((x) => x.toFixed(0))
              .join(' '),
          );
        const progress = service
          .output()
          .split('\n')
          .filter((l) => l.includes('streaming ingest in progress'));
        const progressLines = progress.length;
        if (process.env['MINEWATCH_BENCH_RSS_TIMELINE'])
          console.log('  server progress lines:\n' + progress.map((l) => `    ${l.slice(0, 400)}`).join('\n'));
        console.log(
          `  ${rows.toLocaleString('en-US')} rows, ${(size / 1024 / 1024).toFixed(0)} MB in ${(ms / 1000).toFixed(1)} s ` +
            `(${(size / 1024 / 1024 / (ms / 1000)).toFixed(1)} MB/s), ${progressLines} progress lines in the server log`,
        );
      } finally {
        service.child.kill('SIGTERM');
        await service.waitForExit();
      }
      const copy = await copyRate(db.url, file, rows);
      const met = peak < RSS_TARGET_MB ? 'met' : 'NOT met';
      return [
        {
          name: `server resident memory while streaming (issue 3: peak under ${RSS_TARGET_MB} MB: ${met}, ${peak.toFixed(0)} MB)`,
          ratioOf: 'peak RSS ÷ idle RSS of the same server process',
          ratio: peak / idle,
          value: peak,
          baseline: idle,
          unit: 'MB',
        },
        {
          name: 'FOCUS CSV ingest over HTTP (parse, validate, daily series, detector, one transaction)',
          ratioOf: 'API rows/s ÷ COPY rows/s',
          ratio: apiRate / copy,
          value: apiRate,
          baseline: copy,
          unit: 'rows/s',
        },
      ];
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
