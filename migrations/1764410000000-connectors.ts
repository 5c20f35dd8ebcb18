import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Connectors1764410000000 implements MigrationInterface {
  name = 'Connectors1764410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE connectors (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        provider text NOT NULL CHECK (provider IN ('aws','azure','gcp')),
        -- accounts, subscriptions or projects it covers
        scopes text[] NOT NULL,
        -- the streams it collects (guardduty, cloudtrail, cost …)
        streams text[] NOT NULL,
        -- regions, endpoint, role ARN, billing table …: never a secret
        settings jsonb NOT NULL DEFAULT '{}',
        credential_source text NOT NULL DEFAULT 'default' CHECK (credential_source IN ('default','static','token')),
        -- AES-256-GCM under MINEWATCH_ENCRYPTION_KEY, bound to the connector id: static keys, tokens,
        -- the external id. Never the values themselves.
        secrets_sealed text,
        interval_minutes integer NOT NULL CHECK (interval_minutes BETWEEN 1 AND 10080),
        backfill_days integer NOT NULL DEFAULT 35 CHECK (backfill_days BETWEEN 1 AND 400),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused')),
        -- the next scheduled tick; the dispatcher moves it forward under FOR UPDATE SKIP LOCKED
        next_run_at timestamptz,
        -- the run that holds the connector; a lease that ran out means its worker died
        lease_run_id uuid,
        lease_until timestamptz,
        last_run_at timestamptz,
        last_success_at timestamptz,
        last_run_status text,
        items_fetched integer NOT NULL DEFAULT 0,
        last_error text,
        last_error_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX connectors_due ON connectors (next_run_at) WHERE status = 'active'`);

    await q.query(`
      CREATE TABLE connector_runs (
        id uuid PRIMARY KEY,
        connector_id uuid NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        trigger text NOT NULL CHECK (trigger IN ('schedule','manual')),
        -- the tick a scheduled run belongs to (the request time for a manual one)
        slot timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','running','succeeded','partial','failed','skipped')),
        queued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        items_fetched integer NOT NULL DEFAULT 0,
        pages integer NOT NULL DEFAULT 0,
        -- throttling answers that were retried
        throttled integer NOT NULL DEFAULT 0,
        -- per stream: items, pages, error
        streams jsonb NOT NULL DEFAULT '{}',
        error text,
        -- one scheduled run per connector and tick, however many replicas dispatch it
        CONSTRAINT connector_runs_once UNIQUE (connector_id, trigger, slot)
      )`);
    await q.query(`CREATE INDEX connector_runs_connector ON connector_runs (connector_id, queued_at DESC)`);

    await q.query(`
      CREATE TABLE connector_checkpoints (
        connector_id uuid NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        stream text NOT NULL,
        -- account/region, subscription, project …
        scope text NOT NULL,
        -- everything before it has been fetched
        watermark timestamptz,
        -- the window in progress and the page to fetch next in it (null between windows)
        window_start timestamptz,
        window_end timestamptz,
        page_cursor jsonb,
        -- what a stream remembers between runs (e.g. the instances whose CPU it follows)
        state jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (connector_id, stream, scope)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE connector_checkpoints');
    await q.query('DROP TABLE connector_runs');
    await q.query('DROP TABLE connectors');
  }
}
