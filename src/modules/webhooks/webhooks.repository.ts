import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { IncidentSeverity } from '#src/modules/incidents/incident.entity.js';
import { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity, type DeliveryStatus } from '#src/modules/webhooks/webhook-delivery.entity.js';
import { WebhookEndpointEntity, WebhookEndpointEventEntity } from '#src/modules/webhooks/webhook-endpoint.entity.js';
import type { SendResult } from '#src/modules/webhooks/webhook-sender.js';

export interface NewEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  minSeverity: IncidentSeverity | null;
  providers: string[];
  secretSealed: string;
}

/** An incident timeline row as the outbox reads it. */
export interface OutboxEvent {
  id: string;
  txId: string;
  incidentId: string;
  type: string;
  at: Date;
  data: Record<string, unknown>;
}

export interface OutboxCursor {
  lastTxId: string;
  lastEventId: string;
}

export interface NewMessage {
  eventId: string;
  eventType: string;
  incidentId: string;
  severity: string;
  providers: string[];
  payload: string;
}

/** A delivery a worker holds the lease on, with everything needed to send it. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  attempts: number;
  leaseToken: string;
  url: string;
  payload: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

export interface StoredMessageFacts {
  eventId: string;
  eventType: string;
  severity: IncidentSeverity;
  providers: string[];
  at: Date;
}

const ENDPOINT_COLUMNS = `id, url, event_types AS "eventTypes", min_severity AS "minSeverity", providers, created_at AS "createdAt"`;

/** All SQL of webhooks: endpoints, the outbox cursor, messages, deliveries and their log. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  // ---- endpoints ----

  async insertEndpoint(e: NewEndpoint): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhook_endpoints (id, url, event_types, min_severity, providers, secret_sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
        [e.id, e.url, e.eventTypes, e.minSeverity, e.providers, e.secretSealed],
      );
      await this.addEndpointEvent(tx, e.id, 'webhook.created', null);
    });
  }

  findEndpoint(id: string): Promise<WebhookEndpointEntity | null> {
    return this.ds.getRepository(WebhookEndpointEntity).findOne({ where: { id } });
  }

  listEndpoints(): Promise<WebhookEndpointEntity[]> {
    return this.ds.getRepository(WebhookEndpointEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async countEndpoints(): Promise<number> {
    return this.ds.getRepository(WebhookEndpointEntity).count();
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    const [, affected] = (await this.ds.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [id])) as [unknown, number];
    return affected > 0;
  }

  endpointEvents(id: string, limit: number): Promise<WebhookEndpointEventEntity[]> {
    return this.ds.getRepository(WebhookEndpointEventEntity).find({ where: { endpointId: id }, order: { id: 'DESC' }, take: limit });
  }

  async addEndpointEvent(tx: EntityManager, endpointId: string, type: string, detail: string | null): Promise<void> {
    await tx.query(`INSERT INTO webhook_endpoint_events (endpoint_id, type, detail) VALUES ($1, $2, $3)`, [endpointId, type, detail]);
  }

  /** The current secret becomes the previous one until `graceMs` from now; the new one signs from now on. */
  async rotateSecret(id: string, sealed: (current: string) => { next: string; previous: string }, graceMs: number): Promise<Date | null> {
    return this.ds.transaction(async (tx) => {
      const [row] = (await tx.query(`SELECT secret_sealed FROM webhook_endpoints WHERE id = $1 FOR UPDATE`, [id])) as Array<{
        secret_sealed: string;
      }>;
      if (!row) return null;
      const { next, previous } = sealed(row.secret_sealed);
      const [updated] = (await tx.query(
        `UPDATE webhook_endpoints SET secret_sealed = $2, previous_secret_sealed = $3,
           previous_secret_expires_at = now() + $4 * interval '1 millisecond', updated_at = now()
         WHERE id = $1 RETURNING previous_secret_expires_at AS "expiresAt"`,
        [id, next, previous, graceMs],
      )) as [[{ expiresAt: Date }], number];
      await this.addEndpointEvent(tx, id, 'webhook.secret_rotated', null);
      return updated[0].expiresAt;
    });
  }

  async enableEndpoint(id: string): Promise<boolean> {
    return this.ds.transaction(async (tx) => {
      const [rows] = (await tx.query(
        `UPDATE webhook_endpoints SET status = 'active', disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, updated_at = now()
         WHERE id = $1 AND status = 'disabled' RETURNING id`,
        [id],
      )) as [unknown[], number];
      if (rows.length > 0) await this.addEndpointEvent(tx, id, 'webhook.enabled', null);
      return rows.length > 0;
    });
  }

  /** Active endpoints, for the fan-out. */
  async activeEndpoints(
    tx: EntityManager,
  ): Promise<
    Array<{ id: string; url: string; eventTypes: string[]; minSeverity: IncidentSeverity | null; providers: string[]; createdAt: Date }>
  > {
    return tx.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE status = 'active'`);
  }

  // ---- the outbox ----

  /** Transactions older than this id have all committed or rolled back: no row can appear below it. */
  async snapshotXmin(tx: EntityManager): Promise<string> {
    const [row] = (await tx.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`)) as [{ xmin: string }];
    return row.xmin;
  }

  /** The dispatch cursor, locked for this transaction; null while another replica holds it. */
  async lockCursor(tx: EntityManager): Promise<OutboxCursor | null> {
    const [row] = (await tx.query(
      `SELECT last_tx_id::text AS "lastTxId", last_event_id::text AS "lastEventId" FROM webhook_outbox_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`,
    )) as OutboxCursor[];
    return row ?? null;
  }

  async moveCursor(tx: EntityManager, to: OutboxCursor): Promise<void> {
    await tx.query(`UPDATE webhook_outbox_cursor SET last_tx_id = $1::xid8, last_event_id = $2, updated_at = now() WHERE id = 1`, [
      to.lastTxId,
      to.lastEventId,
    ]);
  }

  /**
   * Timeline rows after the cursor whose transactions are settled, in (transaction, id) order.
   * incident_events belongs to the incidents module; only its outbox column (tx_id, added by the
   * webhooks migration) and its committed rows are read here.
   */
  async eventsAfter(tx: EntityManager, after: OutboxCursor, xmin: string, limit: number): Promise<OutboxEvent[]> {
    return tx.query(
      `SELECT e.id::text AS id, e.tx_id::text AS "txId", e.incident_id AS "incidentId", e.type, e.at, e.data FROM incident_events e
       WHERE (e.tx_id, e.id) > ($1::xid8, $2::bigint) AND e.tx_id < $3::xid8
       ORDER BY e.tx_id, e.id LIMIT $4`,
      [after.lastTxId, after.lastEventId, xmin, limit],
    );
  }

  /** Whether committed rows after the cursor wait only for an older transaction elsewhere to end. */
  async heldBack(after: OutboxCursor): Promise<boolean> {
    const [row] = (await this.ds.query(
      `SELECT EXISTS (SELECT 1 FROM incident_events e WHERE (e.tx_id, e.id) > ($1::xid8, $2::bigint)) AS held`,
      [after.lastTxId, after.lastEventId],
    )) as [{ held: boolean }];
    return row.held;
  }

  async cursor(): Promise<OutboxCursor> {
    const [row] = (await this.ds.query(
      `SELECT last_tx_id::text AS "lastTxId", last_event_id::text AS "lastEventId" FROM webhook_outbox_cursor WHERE id = 1`,
    )) as OutboxCursor[];
    return row!;
  }

  /** Committed timeline rows of the given types at or after `since`, oldest first (replay). */
  async eventsSince(since: Date, types: string[], afterId: string, limit: number): Promise<OutboxEvent[]> {
    return this.ds.query(
      `SELECT e.id::text AS id, e.tx_id::text AS "txId", e.incident_id AS "incidentId", e.type, e.at, e.data FROM incident_events e
       WHERE e.at >= $1 AND e.type = ANY($2) AND e.id > $3 ORDER BY e.id LIMIT $4`,
      [since, types, afterId, limit],
    );
  }

  async insertMessage(tx: EntityManager, m: NewMessage): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_messages (event_id, event_type, incident_id, severity, providers, payload) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id) DO NOTHING`,
      [m.eventId, m.eventType, m.incidentId, m.severity, m.providers, m.payload],
    );
  }

  async messageFacts(tx: EntityManager, eventIds: string[]): Promise<Map<string, StoredMessageFacts>> {
    if (eventIds.length === 0) return new Map();
    const rows = (await tx.query(
      `SELECT m.event_id::text AS "eventId", m.event_type AS "eventType", m.severity, m.providers, e.at
       FROM webhook_messages m JOIN incident_events e ON e.id = m.event_id WHERE m.event_id = ANY($1::bigint[])`,
      [eventIds],
    )) as StoredMessageFacts[];
    return new Map(rows.map((r) => [r.eventId, r]));
  }

  /** New deliveries of one message; an (endpoint, event) pair that already has one is left alone. */
  async insertDeliveries(tx: EntityManager, eventId: string, endpointIds: string[]): Promise<string[]> {
    if (endpointIds.length === 0) return [];
    const rows = (await tx.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id) SELECT unnest($1::uuid[]), $2
       ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
      [endpointIds, eventId],
    )) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  /**
   * Replay: a new delivery for each event, or the existing one sent again (same id, so receivers
   * dedupe it) with a fresh schedule. Deliveries already pending keep their course.
   */
  async replayDeliveries(tx: EntityManager, endpointId: string, eventIds: string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const rows = (await tx.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id) SELECT $1, unnest($2::bigint[])
       ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = now(),
         lease_until = NULL, lease_token = NULL, completed_at = NULL, updated_at = now()
       WHERE webhook_deliveries.status <> 'pending'
       RETURNING id`,
      [endpointId, eventIds],
    )) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  // ---- delivery ----

  /**
   * Takes the lease on a pending delivery of an active endpoint and counts the attempt. Null when
   * there is nothing to do: delivered, given up, endpoint disabled or deleted, or another worker
   * holds a live lease (a duplicate wake-up job).
   */
  async claim(id: string, leaseMs: number): Promise<ClaimedDelivery | null> {
    const [rows] = (await this.ds.query(
      `UPDATE webhook_deliveries d SET lease_until = now() + $2 * interval '1 millisecond', lease_token = gen_random_uuid(),
         attempts = d.attempts + 1, updated_at = now()
       FROM webhook_endpoints e, webhook_messages m
       WHERE d.id = $1 AND e.id = d.endpoint_id AND m.event_id = d.event_id
         AND d.status = 'pending' AND e.status = 'active' AND (d.lease_until IS NULL OR d.lease_until < now())
       RETURNING d.id, d.endpoint_id AS "endpointId", d.attempts, d.lease_token AS "leaseToken", e.url, m.payload,
         e.secret_sealed AS "secretSealed", e.previous_secret_sealed AS "previousSecretSealed",
         e.previous_secret_expires_at AS "previousSecretExpiresAt"`,
      [id, leaseMs],
    )) as [ClaimedDelivery[], number];
    return rows[0] ?? null;
  }

  /**
   * Logs the attempt if this worker still holds the lease, and keeps the row locked until commit so
   * nobody can take the lease in between; false when it ran out and another worker took over.
   */
  async recordAttempt(tx: EntityManager, claim: ClaimedDelivery, result: SendResult): Promise<boolean> {
    const held = (await tx.query(`SELECT id FROM webhook_deliveries WHERE id = $1 AND lease_token = $2 FOR UPDATE`, [
      claim.id,
      claim.leaseToken,
    ])) as unknown[];
    if (held.length === 0) return false;
    await tx.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, outcome, status_code, latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6)`,
      [claim.id, claim.attempts, result.outcome, result.statusCode, result.latencyMs, result.error],
    );
    return true;
  }

  async settle(tx: EntityManager, id: string, status: Exclude<DeliveryStatus, 'pending'>, result: SendResult): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET status = $2, lease_until = NULL, lease_token = NULL, last_status_code = $3, last_latency_ms = $4,
         last_error = $5, completed_at = now(), updated_at = now() WHERE id = $1`,
      [id, status, result.statusCode, result.latencyMs, result.error],
    );
  }

  async scheduleRetry(tx: EntityManager, id: string, result: SendResult, delayMs: number): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET lease_until = NULL, lease_token = NULL, next_attempt_at = now() + $2 * interval '1 millisecond',
         last_status_code = $3, last_latency_ms = $4, last_error = $5, updated_at = now() WHERE id = $1`,
      [id, delayMs, result.statusCode, result.latencyMs, result.error],
    );
  }

  async endpointSucceeded(tx: EntityManager, endpointId: string): Promise<void> {
    await tx.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [endpointId]);
  }

  /**
   * Marks the endpoint failing if it was not already, and says for how long it has been. Writes the
   * endpoint row only on the first failure after a success, so concurrent deliveries to one
   * endpoint do not queue behind its row lock.
   */
  async endpointFailed(tx: EntityManager, endpointId: string): Promise<number> {
    await tx.query(`UPDATE webhook_endpoints SET failing_since = now() WHERE id = $1 AND failing_since IS NULL`, [endpointId]);
    const [row] = (await tx.query(
      `SELECT (extract(epoch FROM now() - failing_since) * 1000)::bigint::text AS "failingMs" FROM webhook_endpoints WHERE id = $1`,
      [endpointId],
    )) as Array<{ failingMs: string | null }>;
    return Number(row?.failingMs ?? 0);
  }

  /** Disables an endpoint; its pending deliveries fail with the reason (replay sends them later). */
  async disableEndpoint(tx: EntityManager, endpointId: string, reason: string): Promise<boolean> {
    const [rows] = (await tx.query(
      `UPDATE webhook_endpoints SET status = 'disabled', disabled_at = now(), disabled_reason = $2, updated_at = now()
       WHERE id = $1 AND status = 'active' RETURNING id`,
      [endpointId, reason],
    )) as [unknown[], number];
    if (rows.length === 0) return false;
    await tx.query(
      `UPDATE webhook_deliveries SET status = 'failed', lease_until = NULL, lease_token = NULL, completed_at = now(), updated_at = now(),
         last_error = $2 WHERE endpoint_id = $1 AND status = 'pending'`,
      [endpointId, `not sent: the endpoint was disabled (${reason})`],
    );
    await this.addEndpointEvent(tx, endpointId, 'webhook.disabled', reason);
    return true;
  }

  /**
   * Deliveries whose worker died mid-attempt (the lease ran out): logged as interrupted and made
   * due again. Returns their ids for new wake-up jobs.
   */
  async reclaimExpired(tx: EntityManager, limit: number): Promise<string[]> {
    const rows = (await tx.query(
      `WITH expired AS (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND lease_until < now()
         ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
       ), released AS (
         UPDATE webhook_deliveries d SET lease_until = NULL, lease_token = NULL, next_attempt_at = now(), updated_at = now(),
           last_error = 'interrupted: the delivering process stopped mid-attempt'
         FROM expired WHERE d.id = expired.id RETURNING d.id, d.attempts
       )
       INSERT INTO webhook_delivery_attempts (delivery_id, attempt, outcome, error)
       SELECT id, attempts, 'interrupted', 'the delivering process stopped mid-attempt' FROM released
       RETURNING delivery_id AS id`,
      [limit],
    )) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  /**
   * Pending deliveries long past due with nobody on them: their wake-up job is gone (failed past
   * pg-boss's retries, or deleted by hand). They are made due now so this sweep finds each once.
   */
  async reclaimOverdue(tx: EntityManager, graceMs: number, limit: number): Promise<string[]> {
    const rows = (await tx.query(
      `UPDATE webhook_deliveries d SET next_attempt_at = now(), updated_at = now()
       FROM (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND lease_until IS NULL
               AND next_attempt_at < now() - $1 * interval '1 millisecond'
             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
       WHERE d.id = due.id RETURNING d.id`,
      [graceMs, limit],
    )) as [Array<{ id: string }>, number];
    return rows[0].map((r) => r.id);
  }

  /** Finished deliveries (and messages nobody needs any more) older than the retention. */
  async purge(olderThanMs: number): Promise<number> {
    const [, deliveries] = (await this.ds.query(
      `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND completed_at < now() - $1 * interval '1 millisecond'`,
      [olderThanMs],
    )) as [unknown, number];
    await this.ds.query(
      `DELETE FROM webhook_messages m WHERE m.created_at < now() - $1 * interval '1 millisecond'
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = m.event_id)`,
      [olderThanMs],
    );
    return deliveries;
  }

  // ---- the delivery log ----

  /** Newest first; `afterSeq` is the last row of the previous page. */
  async deliveriesPage(endpointId: string, limit: number, status?: DeliveryStatus, afterSeq?: string) {
    const qb = this.ds
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('d')
      .innerJoin('webhook_messages', 'm', 'm.event_id = d.event_id')
      .addSelect(['m.event_type AS m_event_type', 'm.incident_id AS m_incident_id'])
      .where('d.endpoint_id = :endpointId', { endpointId });
    if (status) qb.andWhere('d.status = :status', { status });
    if (afterSeq) qb.andWhere('d.seq < :afterSeq', { afterSeq });
    const { entities, raw } = await qb.orderBy('d.seq', 'DESC').limit(limit).getRawAndEntities();
    const facts = new Map((raw as Array<{ d_id: string; m_event_type: string; m_incident_id: string }>).map((r) => [r.d_id, r]));
    return entities.map((d) => ({
      delivery: d,
      eventType: facts.get(d.id)?.m_event_type ?? '',
      incidentId: facts.get(d.id)?.m_incident_id ?? '',
    }));
  }

  async attemptsOf(deliveryIds: string[]): Promise<WebhookDeliveryAttemptEntity[]> {
    if (deliveryIds.length === 0) return [];
    return this.ds
      .getRepository(WebhookDeliveryAttemptEntity)
      .createQueryBuilder('a')
      .where('a.delivery_id = ANY(:ids)', { ids: deliveryIds })
      .orderBy('a.id', 'ASC')
      .getMany();
  }

  /** Manual retry: due now, whatever its state; the attempt count goes on from where it was. */
  async requeue(tx: EntityManager, endpointId: string, deliveryId: string): Promise<boolean> {
    const [rows] = (await tx.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), completed_at = NULL, updated_at = now()
       WHERE id = $1 AND endpoint_id = $2 AND (lease_until IS NULL OR lease_until < now()) RETURNING id`,
      [deliveryId, endpointId],
    )) as [unknown[], number];
    return rows.length > 0;
  }

  async deliveryExists(endpointId: string, deliveryId: string): Promise<boolean> {
    const rows = (await this.ds.query(`SELECT 1 FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2`, [
      deliveryId,
      endpointId,
    ])) as unknown[];
    return rows.length > 0;
  }
}
