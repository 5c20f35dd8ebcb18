import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Provider } from '#src/connectors/signal.js';
import type { Aggregate, SeriesIdentity, SeriesLevel } from '#src/modules/cost/cost-series.js';

/** A series written by an ingest request, with the days it wrote. */
export interface TouchedSeries extends SeriesIdentity {
  firstDay: string;
  touchedFrom: string;
  touchedTo: string;
}

export interface HistoryPoint {
  day: string;
  amount: number;
  usageType: string | null;
}

/** A stored `cost_anomaly` signal, native or the detector's, as the cost service reads it. */
export interface StoredCostAnomaly {
  id: string;
  source: string;
  sourceId: string;
  provider: Provider;
  accountId: string;
  region: string | null;
  observedAt: Date;
  observedUntil: Date;
  severity: string;
  cost: number | null;
  attributes: Record<string, unknown>;
}

// Rows per statement: one small statement with array parameters, whatever the batch.
const CHUNK = 10_000;
// Native anomalies last days, rarely weeks: a window that started this long before the day examined
// is not looked for, so the account-and-time index bounds the search.
const LONGEST_NATIVE_ANOMALY_DAYS = 92;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** All SQL about cost series (and the reads of cost_anomaly signals the detector compares with). */
@Injectable()
export class CostSeriesRepository {
  /**
   * Writes one batch of a request: new series, the daily amounts, and which series-days the
   * request touched. Rows of the same series-day-source add up within the request (an export
   * splits a day over many rows and batches) and replace what an earlier request stored (re-sending
   * an export does not double count). Inputs come sorted by key, so requests lock rows in one order.
   *
   * A series row is written only when it is new or starts earlier, never once per batch: a row
   * updated in every batch of a long transaction grows a chain of versions that every later look-up
   * walks. Its lock (taken by ON CONFLICT either way) makes concurrent requests that touch the same
   * series take turns, so the one that judges last sees the other's rows.
   */
  async write(tx: EntityManager, ingestId: string, batch: Aggregate): Promise<void> {
    // Per connection, emptied at every commit: the series-days this transaction touched.
    await tx.query(
      `CREATE TEMP TABLE IF NOT EXISTS cost_touched (
         level text NOT NULL, series_key text COLLATE "C" NOT NULL, day date NOT NULL,
         PRIMARY KEY (level, series_key, day)
       ) ON COMMIT DELETE ROWS`,
    );
    for (const part of chunks(batch.series)) {
      await tx.query(
        `INSERT INTO cost_series (series_key, parent_key, level, provider, account_id, currency, service, region, resource_id, first_day)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::date[])
         ON CONFLICT (series_key) DO UPDATE SET first_day = EXCLUDED.first_day, updated_at = now()
           WHERE EXCLUDED.first_day < cost_series.first_day`,
        [
          part.map((s) => s.key),
          part.map((s) => s.parentKey),
          part.map((s) => s.level),
          part.map((s) => s.provider),
          part.map((s) => s.accountId),
          part.map((s) => s.currency),
          part.map((s) => s.service),
          part.map((s) => s.region),
          part.map((s) => s.resourceId),
          part.map((s) => s.from),
        ],
      );
    }
    for (const part of chunks(batch.touched)) {
      await tx.query(
        `INSERT INTO cost_touched (level, series_key, day)
         SELECT * FROM unnest($1::text[], $2::text[], $3::date[]) ON CONFLICT DO NOTHING`,
        [part.map((t) => t.level), part.map((t) => t.key), part.map((t) => t.day)],
      );
    }
    for (const part of chunks(batch.daily)) {
      await tx.query(
        `INSERT INTO cost_daily (series_key, day, source, amount, usage_type, usage_amount, ingest_id)
         SELECT u.k, u.d, u.s, u.a, u.ut, u.ua, $7::uuid
         FROM unnest($1::text[], $2::date[], $3::text[], $4::numeric[], $5::text[], $6::numeric[]) AS u(k, d, s, a, ut, ua)
         ON CONFLICT (series_key, day, source) DO UPDATE SET
           amount = CASE WHEN cost_daily.ingest_id = EXCLUDED.ingest_id THEN cost_daily.amount + EXCLUDED.amount ELSE EXCLUDED.amount END,
           usage_type = CASE WHEN cost_daily.ingest_id = EXCLUDED.ingest_id AND cost_daily.usage_amount >= EXCLUDED.usage_amount
                             THEN cost_daily.usage_type ELSE EXCLUDED.usage_type END,
           usage_amount = CASE WHEN cost_daily.ingest_id = EXCLUDED.ingest_id
                               THEN greatest(cost_daily.usage_amount, EXCLUDED.usage_amount) ELSE EXCLUDED.usage_amount END,
           ingest_id = EXCLUDED.ingest_id,
           updated_at = now()`,
        [
          part.map((d) => d.key),
          part.map((d) => d.day),
          part.map((d) => d.source),
          part.map((d) => d.amount),
          part.map((d) => d.usageType),
          part.map((d) => d.usageAmount),
          ingestId,
        ],
      );
    }
  }

  /** Series of one level that this transaction touched, in key order after `afterKey`, with the days it touched. */
  async touched(tx: EntityManager, level: SeriesLevel, afterKey: string, limit: number): Promise<TouchedSeries[]> {
    const [temp] = (await tx.query(`SELECT to_regclass('pg_temp.cost_touched') IS NOT NULL AS present`)) as [{ present: boolean }];
    if (!temp.present) return [];
    const rows = (await tx.query(
      `SELECT s.series_key, s.parent_key, s.level, s.provider, s.account_id, s.currency, s.service, s.region, s.resource_id,
              s.first_day::text AS first_day, t.touched_from::text AS touched_from, t.touched_to::text AS touched_to
       FROM (SELECT series_key, min(day) AS touched_from, max(day) AS touched_to
             FROM cost_touched WHERE level = $1 AND series_key > $2
             GROUP BY series_key ORDER BY series_key LIMIT $3) t
       JOIN cost_series s ON s.series_key = t.series_key
       ORDER BY t.series_key`,
      [level, afterKey, limit],
    )) as Array<Record<string, string | null>>;
    return rows.map((r) => ({
      key: r['series_key']!,
      parentKey: r['parent_key'] ?? null,
      level: r['level'] as SeriesLevel,
      provider: r['provider'] as Provider,
      accountId: r['account_id']!,
      currency: r['currency']!,
      service: r['service'] ?? null,
      region: r['region'] ?? null,
      resourceId: r['resource_id'] ?? null,
      firstDay: r['first_day']!,
      touchedFrom: r['touched_from']!,
      touchedTo: r['touched_to']!,
    }));
  }

  /**
   * Daily amounts of each series over [from, to]. When two sources report the same series-day (a
   * FOCUS export and the cloud's own export of one account) they describe the same spend: the
   * larger is taken, not the sum.
   */
  async history(
    tx: EntityManager,
    windows: ReadonlyArray<{ key: string; from: string; to: string }>,
  ): Promise<Map<string, HistoryPoint[]>> {
    const out = new Map<string, HistoryPoint[]>();
    if (windows.length === 0) return out;
    const rows = (await tx.query(
      `SELECT d.series_key, d.day::text AS day, max(d.amount)::float8 AS amount,
              (array_agg(d.usage_type ORDER BY d.usage_amount DESC NULLS LAST))[1] AS usage_type
       FROM unnest($1::text[], $2::date[], $3::date[]) AS w(k, f, t)
       JOIN cost_daily d ON d.series_key = w.k AND d.day BETWEEN w.f AND w.t
       GROUP BY d.series_key, d.day`,
      [windows.map((w) => w.key), windows.map((w) => w.from), windows.map((w) => w.to)],
    )) as Array<{ series_key: string; day: string; amount: number; usage_type: string | null }>;
    for (const r of rows) {
      const points = out.get(r.series_key) ?? [];
      points.push({ day: r.day, amount: r.amount, usageType: r.usage_type });
      out.set(r.series_key, points);
    }
    return out;
  }

  /** Every cost_anomaly signal (native or the detector's) of these accounts that overlaps [from, to] (days, inclusive). */
  async costAnomalies(
    tx: EntityManager,
    accounts: ReadonlyArray<{ provider: string; accountId: string }>,
    from: string,
    to: string,
  ): Promise<StoredCostAnomaly[]> {
    if (accounts.length === 0) return [];
    const start = new Date(`${from}T00:00:00Z`);
    const end = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000);
    const earliest = new Date(start.getTime() - LONGEST_NATIVE_ANOMALY_DAYS * 86_400_000);
    const rows = (await tx.query(
      `SELECT s.id, s.source, s.source_id, s.provider, s.account_id, s.region, s.observed_at, s.observed_until, s.severity,
              s.cost_amount::float8 AS cost, s.attributes
       FROM signals s
       JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[])) AS a(provider, account_id)
         ON s.provider = a.provider AND s.account_id = a.account_id
       WHERE s.kind = 'cost_anomaly' AND s.observed_at >= $3 AND s.observed_at < $4 AND s.observed_until >= $5`,
      [accounts.map((a) => a.provider), accounts.map((a) => a.accountId), earliest, end, start],
    )) as Array<{
      id: string;
      source: string;
      source_id: string;
      provider: Provider;
      account_id: string;
      region: string | null;
      observed_at: Date;
      observed_until: Date;
      severity: string;
      cost: number | null;
      attributes: Record<string, unknown>;
    }>;
    return rows.map((r) => ({
      id: r.id,
      source: r.source,
      sourceId: r.source_id,
      provider: r.provider,
      accountId: r.account_id,
      region: r.region,
      observedAt: new Date(r.observed_at),
      observedUntil: new Date(r.observed_until),
      severity: r.severity,
      cost: r.cost,
      attributes: r.attributes ?? {},
    }));
  }

  /** The next detector revision: orders versions of the detector's signals across requests and replicas. */
  async nextRevision(tx: EntityManager): Promise<number> {
    const [row] = (await tx.query(`SELECT nextval('cost_detector_revision')::text AS n`)) as [{ n: string }];
    return Number(row.n);
  }

  /**
   * Marks detector signals as superseded by a native anomaly: no cost, severity INFO, a new version,
   * and unread by the correlation engine so incidents drop their cost.
   */
  async markSuperseded(
    tx: EntityManager,
    rows: ReadonlyArray<{ id: string; title: string; supersededBy: string }>,
    revision: number,
  ): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(
      `UPDATE signals s SET
         severity = 'INFO', cost_amount = NULL, cost_currency = NULL, title = u.title,
         attributes = s.attributes || jsonb_build_object('status', 'superseded', 'supersededBy', u.by),
         source_version = $4, updated_at = now(), correlated_at = NULL
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, title, by)
       WHERE s.id = u.id`,
      [rows.map((r) => r.id), rows.map((r) => r.title), rows.map((r) => r.supersededBy), String(revision).padStart(15, '0')],
    );
  }
}
