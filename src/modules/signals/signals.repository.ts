import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Signal } from '#src/connectors/signal.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import { SignalEntity } from '#src/modules/signals/signal.entity.js';

export interface UpsertOutcome {
  /** Signal ids in the order of the input. */
  ids: string[];
  inserted: number;
  updated: number;
  duplicates: number;
}

export interface SignalQuery {
  kind?: string;
  provider?: string;
  account?: string;
  region?: string;
  source?: string;
  since?: Date;
  until?: Date;
  limit: number;
  after?: { observedAt: Date; id: string };
}

const COLUMNS = [
  'source',
  'source_id',
  'source_version',
  'kind',
  'provider',
  'account_id',
  'region',
  'observed_at',
  'observed_until',
  'severity',
  'title',
  'mining',
  'resources',
  'principal',
  'cost_amount',
  'cost_currency',
  'attributes',
  'raw',
  'link_keys',
] as const;

/** The columns sent through unnest(), in the order of the statement's parameters. */
const SCALAR_COLUMNS = COLUMNS.filter((c) => !['resources', 'principal', 'attributes', 'raw'].includes(c));

// Rows per statement: large enough to amortise the round trip, small enough to keep memory flat.
const BATCH = 5_000;

/** `{"a","b\\"c"}`: a PostgreSQL array literal of strings, every element quoted and escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** All SQL about signals lives here. */
@Injectable()
export class SignalsRepository {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    metrics: MetricsService,
  ) {
    metrics.onScrape(async () => metrics.pendingCorrelation.set((await this.counts()).pendingCorrelation));
  }

  /**
   * Inserts new items; replaces stored ones only when the incoming `sourceVersion` is greater,
   * resetting `correlated_at` so the correlation engine reads the new version. One statement per
   * batch, inside the caller's transaction.
   */
  async upsert(tx: EntityManager, rows: Array<{ signal: Signal; linkKeys: string[] }>): Promise<UpsertOutcome> {
    const ids: string[] = new Array(rows.length);
    let inserted = 0;
    let updated = 0;
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH);
      // One array per column and unnest(): 19 parameters whatever the batch size, so PostgreSQL
      // parses and plans one small statement instead of one with tens of thousands of parameters.
      // Scalar columns travel as one array per column through unnest(); the JSON columns of every
      // row as one JSON document (one JSON.stringify here, one jsonb parse in PostgreSQL) instead of
      // a text[] of JSON strings, which the driver would escape character by character.
      const columns: unknown[][] = SCALAR_COLUMNS.map(() => new Array(batch.length));
      const documents: unknown[] = new Array(batch.length);
      batch.forEach(({ signal: s, linkKeys }, i) => {
        const values = [
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
          s.cost?.amount ?? null,
          s.cost?.currency ?? null,
          // A text[] per row cannot travel in a 2-D array (rows differ in length): each row's
          // keys go as one array literal, cast back to text[] in the statement.
          textArrayLiteral(linkKeys),
        ];
        values.forEach((v, c) => (columns[c]![i] = v));
        documents[i] = [s.resources, s.principal ?? null, s.attributes, s.raw ?? null];
      });
      const result = (await tx.query(
        `INSERT INTO signals (${COLUMNS.join(',')})
         SELECT u.source, u.source_id, u.source_version, u.kind, u.provider, u.account_id, u.region, u.observed_at, u.observed_until,
                u.severity, u.title, u.mining, d.doc->0, NULLIF(d.doc->1, 'null'::jsonb), u.cost_amount, u.cost_currency, d.doc->2,
                NULLIF(d.doc->3, 'null'::jsonb), u.link_keys::text[]
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[],
                     $10::text[], $11::text[], $12::boolean[], $13::numeric[], $14::text[], $15::text[]) WITH ORDINALITY
           AS u(${SCALAR_COLUMNS.join(',')}, n)
         JOIN jsonb_array_elements($16::jsonb) WITH ORDINALITY AS d(doc, n) USING (n)
         ON CONFLICT (source, source_id) DO UPDATE SET
           ${COLUMNS.filter((c) => c !== 'source' && c !== 'source_id')
             .map((c) => `${c} = EXCLUDED.${c}`)
             .join(', ')},
           updated_at = now(), correlated_at = NULL
         WHERE signals.source_version < EXCLUDED.source_version
         RETURNING id, source, source_id, (xmax = 0) AS inserted`,
        [...columns, JSON.stringify(documents)],
      )) as Array<{ id: string; source: string; source_id: string; inserted: boolean }>;
      const written = new Map(result.map((r) => [`${r.source}\u0000${r.source_id}`, r]));
      const missing: Array<[number, Signal]> = [];
      batch.forEach(({ signal }, i) => {
        const row = written.get(`${signal.source}\u0000${signal.sourceId}`);
        if (row) {
          ids[start + i] = row.id;
          if (row.inserted) inserted++;
          else updated++;
        } else missing.push([start + i, signal]);
      });
      if (missing.length > 0) {
        const existing = (await tx.query(
          `SELECT id, source, source_id FROM signals
           WHERE (source, source_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [missing.map(([, s]) => s.source), missing.map(([, s]) => s.sourceId)],
        )) as Array<{ id: string; source: string; source_id: string }>;
        const byKey = new Map(existing.map((r) => [`${r.source}\u0000${r.source_id}`, r.id]));
        for (const [index, s] of missing) ids[index] = byKey.get(`${s.source}\u0000${s.sourceId}`)!;
      }
    }
    return { ids, inserted, updated, duplicates: rows.length - inserted - updated };
  }

  async findById(id: string, withRaw = false): Promise<SignalEntity | null> {
    const qb = this.ds.getRepository(SignalEntity).createQueryBuilder('s').where('s.id = :id', { id });
    if (withRaw) qb.addSelect('s.raw');
    return qb.getOne();
  }

  async findByIds(tx: EntityManager | null, ids: string[]): Promise<SignalEntity[]> {
    if (ids.length === 0) return [];
    const repo = (tx ?? this.ds.manager).getRepository(SignalEntity);
    return repo.createQueryBuilder('s').where('s.id = ANY(:ids)', { ids }).getMany();
  }

  async list(q: SignalQuery): Promise<SignalEntity[]> {
    const qb = this.ds.getRepository(SignalEntity).createQueryBuilder('s');
    if (q.kind) qb.andWhere('s.kind = :kind', { kind: q.kind });
    if (q.provider) qb.andWhere('s.provider = :provider', { provider: q.provider });
    if (q.account) qb.andWhere('s.account_id = :account', { account: q.account });
    if (q.region) qb.andWhere('s.region = :region', { region: q.region });
    if (q.source) qb.andWhere('s.source = :source', { source: q.source });
    if (q.since) qb.andWhere('s.observed_at >= :since', { since: q.since });
    if (q.until) qb.andWhere('s.observed_at < :until', { until: q.until });
    if (q.after) {
      qb.andWhere('(s.observed_at, s.id) < (:afterAt, :afterId)', { afterAt: q.after.observedAt, afterId: q.after.id });
    }
    return qb.orderBy('s.observed_at', 'DESC').addOrderBy('s.id', 'DESC').limit(q.limit).getMany();
  }

  /** Claims up to `limit` signals the correlation engine has not read yet. */
  async claimPending(tx: EntityManager, limit: number): Promise<SignalEntity[]> {
    return tx
      .getRepository(SignalEntity)
      .createQueryBuilder('s')
      .where('s.correlated_at IS NULL')
      .orderBy('s.observed_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  async markCorrelated(tx: EntityManager, ids: string[]): Promise<void> {
    if (ids.length > 0) await tx.query('UPDATE signals SET correlated_at = now() WHERE id = ANY($1)', [ids]);
  }

  /**
   * Signals that might link to an incident: sharing one of its keys, or (for the kinds that carry
   * no resource id) in one of its accounts, within the time window.
   */
  async findLinkable(
    tx: EntityManager,
    keys: string[],
    accounts: Array<{ provider: string; accountId: string }>,
    window: { from: Date; to: Date },
    excludeIncidentId: string,
    limit = 5000,
  ): Promise<SignalEntity[]> {
    return tx
      .getRepository(SignalEntity)
      .createQueryBuilder('s')
      .where(
        `(s.link_keys && :keys::text[]
          OR ((s.provider || ':' || s.account_id) = ANY(:accounts) AND (s.kind = 'cost_anomaly' OR s.mining)))`,
        { keys, accounts: accounts.map((a) => `${a.provider}:${a.accountId}`) },
      )
      .andWhere('s.observed_until >= :from AND s.observed_at <= :to', window)
      .andWhere('NOT EXISTS (SELECT 1 FROM incident_evidence e WHERE e.signal_id = s.id AND e.incident_id = :exclude)', {
        exclude: excludeIncidentId,
      })
      .andWhere('s.suppressed_by IS NULL AND s.correlated_at IS NOT NULL')
      .orderBy('s.observed_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Deletes up to `limit` signals observed before `before` that no incident holds as evidence and
   * the engine has read; returns how many went. Evidence is kept as long as its incident.
   */
  async deleteExpired(before: Date, limit: number): Promise<number> {
    const rows = (await this.ds.query(
      `DELETE FROM signals WHERE id IN (
         SELECT s.id FROM signals s
         WHERE s.observed_until < $1 AND s.correlated_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM incident_evidence e WHERE e.signal_id = s.id)
         LIMIT $2)
       RETURNING id`,
      [before, limit],
    )) as [unknown[], number] | unknown[];
    return Array.isArray(rows[0]) ? (rows as [unknown[], number])[1] : rows.length;
  }

  async counts(): Promise<{ total: number; pendingCorrelation: number }> {
    const [row] = (await this.ds.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE correlated_at IS NULL)::int AS pending FROM signals`,
    )) as [{ total: number; pending: number }];
    return { total: row.total, pendingCorrelation: row.pending };
  }
}
