import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Assessment } from '#src/modules/correlation/assessment.js';
import type { Link } from '#src/modules/correlation/correlation.types.js';
import { IncidentEventEntity } from '#src/modules/incidents/incident-event.entity.js';
import {
  type AttackVector,
  IncidentEntity,
  type IncidentListItem,
  type IncidentSeverity,
  type IncidentStatus,
} from '#src/modules/incidents/incident.entity.js';
import type { ResourceRef } from '#src/connectors/signal.js';
import { SignalEntity } from '#src/modules/signals/signal.entity.js';

export interface IncidentFilter {
  status?: IncidentStatus[];
  severity?: IncidentSeverity[];
  provider?: string;
  account?: string;
  region?: string;
  since?: Date;
  until?: Date;
  text?: string;
}

export interface EvidenceRow {
  incidentId: string;
  rule: string;
  weight: number;
  reason: string;
  addedAt: Date;
  signal: SignalEntity;
}

export interface CostImpactRow {
  month: string;
  provider: string;
  accountId: string;
  currency: string;
  amount: number;
  incidents: number;
}

export interface Cursor {
  lastSeenAt: Date;
  id: string;
}

export const INCIDENT_EVENTS_CHANNEL = 'minewatch_incident_events';

interface ListRow {
  id: string;
  status: IncidentStatus;
  severity: IncidentSeverity;
  confidence: number;
  title: string;
  providers: string[];
  accounts: string[];
  regions: string[];
  resources: ResourceRef[];
  first_seen_at: Date;
  last_seen_at: Date;
  cost_amount: string;
  cost_currency: string;
  attack_vector: AttackVector;
  techniques: string[];
  recommended_actions: string[];
  related_incident_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** All SQL about incidents, their evidence and their timeline. */
@Injectable()
export class IncidentsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private m(tx?: EntityManager | null): EntityManager {
    return tx ?? this.ds.manager;
  }

  /**
   * Incidents a signal may belong to: live ones, and ones closed within `closedSince` (late cost
   * data still attaches to a resolved incident; new mining evidence reopens it).
   */
  async findLinkCandidates(
    tx: EntityManager,
    keys: string[],
    account: { provider: string; accountId: string },
    window: { from: Date; to: Date },
    closedSince: Date,
  ): Promise<IncidentEntity[]> {
    return tx
      .getRepository(IncidentEntity)
      .createQueryBuilder('i')
      .where(`i.merged_into_id IS NULL AND (i.status NOT IN ('RESOLVED','FALSE_POSITIVE') OR i.status_changed_at >= :closedSince)`, {
        closedSince,
      })
      .andWhere(
        `(i.link_keys && :keys::text[]
          OR (:provider = ANY(i.providers) AND :account = ANY(i.accounts)
              AND i.last_seen_at >= :from AND i.first_seen_at <= :to))`,
        { keys, provider: account.provider, account: account.accountId, ...window },
      )
      .orderBy('i.created_at', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .limit(50)
      .getMany();
  }

  /** The most recent closed incident sharing any of these keys, however long ago. */
  async latestClosedSharing(tx: EntityManager, keys: string[]): Promise<string | null> {
    if (keys.length === 0) return null;
    const [row] = (await tx.query(
      `SELECT id FROM incidents WHERE merged_into_id IS NULL AND status IN ('RESOLVED','FALSE_POSITIVE') AND link_keys && $1::text[]
       ORDER BY status_changed_at DESC LIMIT 1`,
      [keys],
    )) as Array<{ id: string }>;
    return row?.id ?? null;
  }

  async setRelated(tx: EntityManager, id: string, relatedId: string): Promise<void> {
    await tx.query(`UPDATE incidents SET related_incident_id = $2 WHERE id = $1`, [id, relatedId]);
  }

  async lockIncidents(tx: EntityManager, ids: string[]): Promise<void> {
    if (ids.length > 0) await tx.query('SELECT id FROM incidents WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
  }

  async insert(tx: EntityManager, a: Assessment): Promise<string> {
    const [row] = (await tx.query(
      `INSERT INTO incidents (status, severity, confidence, title, providers, accounts, regions, resources, link_keys,
         first_seen_at, last_seen_at, cost_amount, cost_currency, attack_vector, techniques, recommended_actions, summary)
       VALUES ('OPEN', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
      this.assessmentParams(a),
    )) as [{ id: string }];
    return row.id;
  }

  async updateAssessment(tx: EntityManager, id: string, a: Assessment): Promise<void> {
    await tx.query(
      `UPDATE incidents SET severity = $1, confidence = $2, title = $3, providers = $4, accounts = $5, regions = $6,
         resources = $7, link_keys = $8, first_seen_at = $9, last_seen_at = $10, cost_amount = $11, cost_currency = $12,
         attack_vector = $13, techniques = $14, recommended_actions = $15, summary = $16,
         version = version + 1, updated_at = now()
       WHERE id = $17`,
      [...this.assessmentParams(a), id],
    );
  }

  private assessmentParams(a: Assessment): unknown[] {
    return [
      a.severity,
      a.confidence,
      a.title,
      a.providers,
      a.accounts,
      a.regions,
      JSON.stringify(a.resources),
      a.linkKeys,
      a.firstSeenAt,
      a.lastSeenAt,
      a.costAmount,
      a.costCurrency,
      JSON.stringify(a.attackVector),
      a.techniques,
      JSON.stringify(a.recommendedActions),
      JSON.stringify(a.summary),
    ];
  }

  async addEvidence(tx: EntityManager, incidentId: string, signalId: string, link: Link): Promise<void> {
    await tx.query(
      `INSERT INTO incident_evidence (incident_id, signal_id, rule, weight, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (incident_id, signal_id) DO UPDATE SET rule = EXCLUDED.rule, weight = EXCLUDED.weight, reason = EXCLUDED.reason`,
      [incidentId, signalId, link.rule, link.weight, link.reason],
    );
  }

  /** Which incident, if any, holds each signal as evidence, and whether that incident is still active. */
  async incidentsOfSignals(tx: EntityManager, signalIds: string[]): Promise<Map<string, { id: string; active: boolean }>> {
    if (signalIds.length === 0) return new Map();
    const rows = (await tx.query(
      `SELECT e.signal_id, e.incident_id, i.status NOT IN ('RESOLVED','FALSE_POSITIVE') AS active
       FROM incident_evidence e JOIN incidents i ON i.id = e.incident_id
       WHERE e.signal_id = ANY($1) AND i.merged_into_id IS NULL`,
      [signalIds],
    )) as Array<{ signal_id: string; incident_id: string; active: boolean }>;
    return new Map(rows.map((r) => [r.signal_id, { id: r.incident_id, active: r.active }]));
  }

  async moveEvidence(tx: EntityManager, fromId: string, toId: string): Promise<number> {
    const rows = (await tx.query(`UPDATE incident_evidence SET incident_id = $2 WHERE incident_id = $1 RETURNING signal_id`, [
      fromId,
      toId,
    ])) as unknown[];
    await tx.query(`UPDATE incidents SET merged_into_id = $2, version = version + 1, updated_at = now() WHERE id = $1`, [fromId, toId]);
    return rows.length;
  }

  async evidence(tx: EntityManager | null, incidentIds: string[]): Promise<EvidenceRow[]> {
    if (incidentIds.length === 0) return [];
    const rows = (await this.m(tx).query(
      `SELECT e.incident_id, e.rule, e.weight, e.reason, e.added_at, e.signal_id FROM incident_evidence e
       JOIN signals s ON s.id = e.signal_id
       WHERE e.incident_id = ANY($1) ORDER BY s.observed_at, s.id`,
      [incidentIds],
    )) as Array<{ incident_id: string; rule: string; weight: number; reason: string; added_at: Date; signal_id: string }>;
    const signals = await this.m(tx)
      .getRepository(SignalEntity)
      .createQueryBuilder('s')
      .where('s.id = ANY(:ids)', { ids: rows.map((r) => r.signal_id) })
      .getMany();
    const byId = new Map(signals.map((s) => [s.id, s]));
    return rows.map((r) => ({
      incidentId: r.incident_id,
      rule: r.rule,
      weight: r.weight,
      reason: r.reason,
      addedAt: r.added_at,
      signal: byId.get(r.signal_id)!,
    }));
  }

  /** Appends to the timeline; listeners on every replica hear of it when the transaction commits. */
  async addEvent(tx: EntityManager, incidentId: string, type: string, actor: string, data: Record<string, unknown>): Promise<void> {
    await tx.query(`INSERT INTO incident_events (incident_id, type, actor, data) VALUES ($1, $2, $3, $4)`, [
      incidentId,
      type,
      actor,
      JSON.stringify(data),
    ]);
    await tx.query(`SELECT pg_notify($1, '')`, [INCIDENT_EVENTS_CHANNEL]);
  }

  async eventsAfter(afterId: string, limit: number): Promise<IncidentEventEntity[]> {
    return this.ds
      .getRepository(IncidentEventEntity)
      .createQueryBuilder('e')
      .where('e.id > :afterId', { afterId })
      .orderBy('e.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  async lastEventId(): Promise<string> {
    const [row] = (await this.ds.query('SELECT coalesce(max(id), 0)::text AS id FROM incident_events')) as [{ id: string }];
    return row.id;
  }

  async events(incidentIds: string[]): Promise<IncidentEventEntity[]> {
    if (incidentIds.length === 0) return [];
    return this.ds
      .getRepository(IncidentEventEntity)
      .createQueryBuilder('e')
      .where('e.incident_id = ANY(:ids)', { ids: incidentIds })
      .orderBy('e.id', 'ASC')
      .getMany();
  }

  async findById(id: string, tx?: EntityManager): Promise<IncidentEntity | null> {
    return this.m(tx).getRepository(IncidentEntity).findOne({ where: { id } });
  }

  async setStatus(tx: EntityManager, id: string, status: IncidentStatus): Promise<void> {
    await tx.query(`UPDATE incidents SET status = $2, status_changed_at = now(), version = version + 1, updated_at = now() WHERE id = $1`, [
      id,
      status,
    ]);
  }

  /** The WHERE clause and parameters of a filtered incident query (lists and counts share it). */
  private whereOf(filter: IncidentFilter, after?: Cursor): { where: string; params: unknown[] } {
    const where = ['merged_into_id IS NULL'];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      let n = params.length;
      where.push(sql.replace(/\?/g, () => `$${++n}`));
      params.push(...values);
    };
    if (filter.status?.length) add('status = ANY(?)', filter.status);
    if (filter.severity?.length) add('severity = ANY(?)', filter.severity);
    if (filter.provider) add('? = ANY(providers)', filter.provider);
    if (filter.account) add('? = ANY(accounts)', filter.account);
    if (filter.region) add('? = ANY(regions)', filter.region);
    if (filter.since) add('last_seen_at >= ?', filter.since);
    if (filter.until) add('first_seen_at < ?', filter.until);
    if (filter.text) add('title ILIKE ?', `%${filter.text.replace(/[%_\\]/g, '\\$&')}%`);
    if (after) add('(last_seen_at, id) < (?, ?)', after.lastSeenAt, after.id);
    return { where: where.join(' AND '), params };
  }

  /**
   * A page of incidents, newest activity first. Plain SQL and a plain mapping rather than the query
   * builder and entity hydration: lists are the hottest read path (the bench compares them with a
   * bare route running this query), and they need neither link keys nor the summary.
   */
  async list(filter: IncidentFilter, limit: number, after?: Cursor): Promise<IncidentListItem[]> {
    const { where, params } = this.whereOf(filter, after);
    params.push(limit);
    const rows = (await this.ds.query(
      `SELECT id, status, severity, confidence, title, providers, accounts, regions, resources, first_seen_at, last_seen_at,
              cost_amount, cost_currency, attack_vector, techniques, recommended_actions, related_incident_id, created_at, updated_at
       FROM incidents WHERE ${where} ORDER BY last_seen_at DESC, id DESC LIMIT $${params.length}`,
      params,
    )) as ListRow[];
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      severity: r.severity,
      confidence: r.confidence,
      title: r.title,
      providers: r.providers,
      accounts: r.accounts,
      regions: r.regions,
      resources: r.resources,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
      costAmount: Number(r.cost_amount),
      costCurrency: r.cost_currency,
      attackVector: r.attack_vector,
      techniques: r.techniques,
      recommendedActions: r.recommended_actions,
      relatedIncidentId: r.related_incident_id,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /**
   * Cost impact per month, provider and account, from the cost anomalies that are evidence of
   * incidents (false positives excluded). Attributed to each anomaly's own account and month, so an
   * incident spanning two accounts is split where its costs were billed.
   */
  async costImpact(q: { provider?: string; account?: string; since?: Date; until?: Date }): Promise<CostImpactRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.provider) add('s.provider = ?', q.provider);
    if (q.account) add('s.account_id = ?', q.account);
    if (q.since) add('s.observed_until >= ?', q.since);
    if (q.until) add('s.observed_at < ?', q.until);
    const rows = (await this.ds.query(
      `SELECT to_char(date_trunc('month', s.observed_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month,
              s.provider, s.account_id, s.cost_currency AS currency,
              sum(s.cost_amount)::float8 AS amount, count(DISTINCT i.id)::int AS incidents
       FROM incident_evidence e
       JOIN incidents i ON i.id = e.incident_id AND i.merged_into_id IS NULL AND i.status <> 'FALSE_POSITIVE'
       JOIN signals s ON s.id = e.signal_id AND s.kind = 'cost_anomaly' AND s.cost_amount IS NOT NULL
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       GROUP BY 1, 2, 3, 4 ORDER BY 1 DESC, 2, 3, 4`,
      params,
    )) as Array<{ month: string; provider: string; account_id: string; currency: string; amount: number; incidents: number }>;
    return rows.map((r) => ({
      month: r.month,
      provider: r.provider,
      accountId: r.account_id,
      currency: r.currency,
      amount: Math.round(r.amount * 100) / 100,
      incidents: r.incidents,
    }));
  }

  async count(filter: IncidentFilter): Promise<number> {
    const { where, params } = this.whereOf(filter);
    const rows = (await this.ds.query(`SELECT count(*)::int AS n FROM incidents WHERE ${where}`, params)) as Array<{ n: number }>;
    return rows[0]!.n;
  }
}
