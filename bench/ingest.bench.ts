/**
 * Ingest throughput through the HTTP API (HTTP, parse, validate, dedupe, upsert, all-or-nothing per
 * request) against a raw COPY of the same rows into a table made `LIKE signals INCLUDING ALL` (the
 * same columns, unique key and indexes): the ratio is the cost of everything MineWatch does on top
 * of writing those rows (issue 8: target ≥ 0.5). For GuardDuty the rows are the signals its
 * findings become (the finding itself kept as `raw`, about 1 KB), for normalized signals the
 * signals as sent. Requests go one after another, as one pushing client sends them.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { parseGuardDuty } from '#src/connectors/aws/guardduty.parser.js';
import type { Signal } from '#src/connectors/signal.js';
import { createApp } from '#src/bootstrap.js';
import { loadConfig } from '#src/config/config.js';
import { linkKeysOf } from '#src/modules/correlation/link-keys.js';
import { runMigrationsLocked } from '#src/platform/database/migrator.js';
import { textArrayLiteral } from '#src/modules/signals/signals.repository.js';
import { createTestDatabase } from '../test/support/database.js';
import type { Bench, BenchFigure } from './harness.js';

const TOTAL = 20_000;
const BATCH = 1_000;
const KEY = 'mwk_bench_admin_key_0123456789abcdef';

function normalized(i: number) {
  return {
    sourceId: `bench-${i}`,
    kind: 'utilization',
    provider: 'aws',
    accountId: String(100000000000 + (i % 50)),
    region: 'us-east-1',
    observedAt: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
    severity: 'INFO',
    title: 'cpu',
    resources: [
      {
        provider: 'aws',
        accountId: String(100000000000 + (i % 50)),
        region: 'us-east-1',
        type: 'aws.ec2.instance',
        id: `i-${i.toString(16).padStart(17, '0')}`,
      },
    ],
    attributes: { metric: 'cpu_utilization', average: 12.5, sustainedHigh: false },
  };
}

function guardDuty(i: number) {
  return {
    accountId: String(100000000000 + (i % 50)),
    arn: `arn:aws:guardduty:us-east-1:${100000000000 + (i % 50)}:detector/d/finding/f${i}`,
    createdAt: '2026-11-01T00:00:00.000Z',
    id: `f${i.toString(16).padStart(31, '0')}`,
    partition: 'aws',
    region: 'us-east-1',
    resource: {
      resourceType: 'Instance',
      instanceDetails: { instanceId: `i-${i.toString(16).padStart(17, '0')}`, instanceType: 'm5.large', availabilityZone: 'us-east-1a' },
    },
    schemaVersion: '2.0',
    service: {
      serviceName: 'guardduty',
      count: 1,
      eventFirstSeen: '2026-11-01T00:00:00.000Z',
      eventLastSeen: '2026-11-01T01:00:00.000Z',
      archived: false,
    },
    severity: 2,
    title: 'Port probe',
    type: 'Recon:EC2/PortProbeUnprotectedPort',
    updatedAt: '2026-11-01T01:00:00.000Z',
  };
}

/** A signal as a COPY row of the columns the ingest path writes. */
function copyRow(s: Signal): unknown[] {
  return [
    s.source,
    s.sourceId,
    s.sourceVersion,
    s.kind,
    s.provider,
    s.accountId,
    s.region,
    s.observedAt,
    s.observedUntil,
    s.severity,
    s.title,
    s.mining,
    s.resources,
    s.attributes,
    s.raw,
    textArrayLiteral(linkKeysOf(s)),
  ];
}

async function copyRate(url: string, rows: unknown[][]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS copy_baseline');
  await client.query('CREATE TABLE copy_baseline (LIKE signals INCLUDING ALL)');
  const escape = (v: unknown) =>
    v === null
      ? '\\N'
      : String(typeof v === 'object' ? JSON.stringify(v) : v)
          .replace(/\\/g, '\\\\')
          .replace(/\t/g, '\\t')
          .replace(/\n/g, '\\n');
  const start = performance.now();
  const lines = rows.map((r) => r.map(escape).join('\t') + '\n');
  await pipeline(
    Readable.from(lines),
    client.query(
      copyFrom(
        'COPY copy_baseline (source, source_id, source_version, kind, provider, account_id, region, observed_at, observed_until, severity, title, mining, resources, attributes, raw, link_keys) FROM STDIN',
      ),
    ),
  );
  const rate = (rows.length * 1000) / (performance.now() - start);
  await client.end();
  return rate;
}

const bench: Bench = {
  name: `ingest of ${TOTAL.toLocaleString('en-US')} items in requests of ${BATCH} vs raw COPY`,
  async run(): Promise<BenchFigure[]> {
    const db = await createTestDatabase({ migrate: false });
    await runMigrationsLocked(db.url);
    // Ingest only: the correlation engine runs in the worker role, not here.
    const app = await createApp(
      loadConfig({
        MINEWATCH_API_KEY: KEY,
        MINEWATCH_RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'silent',
        MINEWATCH_ROLE: 'api',
        MINEWATCH_DATA_DIR: '/tmp/minewatch-bench',
      }),
      db.url,
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const post = async (source: string, items: unknown[]) => {
      const res = await fetch(`${url}/v1/ingest/${source}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(items),
      });
      if (res.status !== 200) throw new Error(await res.text());
    };
    const timed = async (source: string, make: (i: number) => unknown) => {
      const start = performance.now();
      for (let i = 0; i < TOTAL; i += BATCH)
        await post(
          source,
          Array.from({ length: BATCH }, (_, k) => make(i + k)),
        );
      return (TOTAL * 1000) / (performance.now() - start);
    };
    try {
      const signalsRate = await timed('signals', normalized);
      const guardDutyRate = await timed('aws.guardduty', guardDuty);
      // The same items again under other ids, so the COPY table starts as empty as signals did.
      const normalizedRows = Array.from({ length: TOTAL }, (_, i) => {
        const s = normalized(i + TOTAL);
        return [
          'signals',
          s.sourceId,
          s.observedAt,
          s.kind,
          s.provider,
          s.accountId,
          s.region,
          s.observedAt,
          s.observedAt,
          s.severity,
          s.title,
          false,
          s.resources,
          s.attributes,
          s,
          `{r:aws:${s.resources[0]!.id}}`,
        ];
      });
      const copy = await copyRate(db.url, normalizedRows);
      const findings = parseGuardDuty(
        Array.from({ length: TOTAL }, (_, i) => guardDuty(i + TOTAL)),
        { receivedAt: new Date(), query: {} },
      ).signals;
      const copyGuardDuty = await copyRate(db.url, findings.map(copyRow));
      return [
        {
          name: 'ingest, normalized signals',
          ratioOf: 'API items/s ÷ COPY rows/s',
          ratio: signalsRate / copy,
          value: signalsRate,
          baseline: copy,
          unit: 'items/s',
          target: 0.5,
        },
        {
          name: 'ingest, native GuardDuty findings',
          ratioOf: 'API items/s ÷ COPY rows/s of their signals',
          ratio: guardDutyRate / copyGuardDuty,
          value: guardDutyRate,
          baseline: copyGuardDuty,
          unit: 'items/s',
          target: 0.5,
        },
      ];
    } finally {
      await app.close();
      await db.drop();
    }
  },
};

export default bench;
