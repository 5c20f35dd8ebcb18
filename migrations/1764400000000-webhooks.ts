import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1764400000000 implements MigrationInterface {
  name = 'Webhooks1764400000000';

  async up(q: QueryRunner): Promise<void> {
    // The outbox is incident_events itself. Its bigserial id is handed out when a row is inserted,
    // not when the transaction commits, so "every id above the last one seen" would skip a row whose
    // transaction commits late. The inserting transaction's id fixes that: the dispatcher reads only
    // rows of transactions older than every transaction still running (pg_snapshot_xmin), in
    // (tx_id, id) order, and nothing can commit behind its cursor. Rows already present get this
    // migration's transaction id, which orders them before anything written later.
    await q.query(`ALTER TABLE incident_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX incident_events_outbox ON incident_events (tx_id, id)`);

    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        url text NOT NULL,
        event_types text[] NOT NULL,
        min_severity text CHECK (min_severity IN ('LOW','MEDIUM','HIGH','CRITICAL')),
        -- empty: every provider
        providers text[] NOT NULL DEFAULT '{}',
        -- AES-256-GCM under MINEWATCH_ENCRYPTION_KEY, bound to the endpoint id; never the secret itself
        secret_sealed text NOT NULL,
        previous_secret_sealed text,
        previous_secret_expires_at timestamptz,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
        disabled_at timestamptz,
        disabled_reason text,
        -- first failure since the last success; five days of it disables the endpoint
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE webhook_endpoint_events (
        id bigserial PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        type text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        detail text
      )`);
    await q.query(`CREATE INDEX webhook_endpoint_events_endpoint ON webhook_endpoint_events (endpoint_id, id DESC)`);

    // One body per incident event, shared by every endpoint it goes to: the bytes are fixed when the
    // event is fanned out, so every retry and replay signs exactly the same body.
    await q.query(`
      CREATE TABLE webhook_messages (
        event_id bigint PRIMARY KEY REFERENCES incident_events(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        incident_id uuid NOT NULL,
        -- the incident's as of the payload: what endpoint filters are matched against
        severity text NOT NULL,
        providers text[] NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- orders and pages the delivery log exactly (timestamps lose microseconds on their way to JSON)
        seq bigint GENERATED ALWAYS AS IDENTITY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_id bigint NOT NULL REFERENCES webhook_messages(event_id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','succeeded','failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        -- set while a worker is sending; a lease that runs out means that worker died mid-attempt
        lease_until timestamptz,
        lease_token uuid,
        last_status_code integer,
        last_latency_ms integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, seq DESC)`);
    await q.query(`CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_deliveries_completed ON webhook_deliveries (completed_at) WHERE status <> 'pending'`);

    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        outcome text NOT NULL,
        status_code integer,
        latency_ms integer,
        error text
      )`);
    await q.query(`CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id, id)`);

    // One row: where the dispatcher stands in incident_events. Replicas take it FOR UPDATE SKIP
    // LOCKED, so one of them fans out each batch and each event is fanned out once.
    await q.query(`
      CREATE TABLE webhook_outbox_cursor (
        id integer PRIMARY KEY CHECK (id = 1),
        last_tx_id xid8 NOT NULL,
        last_event_id bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO webhook_outbox_cursor (id, last_tx_id, last_event_id) VALUES (1, '0', 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE webhook_outbox_cursor');
    await q.query('DROP TABLE webhook_delivery_attempts');
    await q.query('DROP TABLE webhook_deliveries');
    await q.query('DROP TABLE webhook_messages');
    await q.query('DROP TABLE webhook_endpoint_events');
    await q.query('DROP TABLE webhook_endpoints');
    await q.query('DROP INDEX incident_events_outbox');
    await q.query('ALTER TABLE incident_events DROP COLUMN tx_id');
  }
}
