import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE signals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        source text NOT NULL,
        source_id text NOT NULL,
        source_version text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('cost_anomaly','security_finding','utilization','provisioning','network','workload')),
        provider text NOT NULL CHECK (provider IN ('aws','azure','gcp')),
        account_id text NOT NULL,
        region text,
        observed_at timestamptz NOT NULL,
        observed_until timestamptz NOT NULL,
        severity text NOT NULL,
        title text NOT NULL,
        mining boolean NOT NULL DEFAULT false,
        resources jsonb NOT NULL DEFAULT '[]',
        principal jsonb,
        cost_amount numeric(18,4),
        cost_currency text,
        attributes jsonb NOT NULL DEFAULT '{}',
        raw jsonb,
        -- keys the correlation engine joins on: r:<provider>:<resource id>, k:<access key>, p:<provider>:<identity>
        link_keys text[] NOT NULL DEFAULT '{}',
        ingested_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- null while the correlation engine has not yet looked at this version
        correlated_at timestamptz,
        CONSTRAINT signals_source_item UNIQUE (source, source_id)
      )`);
    await q.query(`CREATE INDEX signals_pending ON signals (observed_at) WHERE correlated_at IS NULL`);
    await q.query(`CREATE INDEX signals_account_time ON signals (provider, account_id, observed_at)`);
    await q.query(`CREATE INDEX signals_link_keys ON signals USING gin (link_keys)`);
    await q.query(`CREATE INDEX signals_observed ON signals (observed_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE incidents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','ACKNOWLEDGED','CONTAINED','RESOLVED','FALSE_POSITIVE')),
        severity text NOT NULL CHECK (severity IN ('LOW','MEDIUM','HIGH','CRITICAL')),
        confidence integer NOT NULL CHECK (confidence BETWEEN 0 AND 100),
        title text NOT NULL,
        providers text[] NOT NULL DEFAULT '{}',
        accounts text[] NOT NULL DEFAULT '{}',
        regions text[] NOT NULL DEFAULT '{}',
        resources jsonb NOT NULL DEFAULT '[]',
        link_keys text[] NOT NULL DEFAULT '{}',
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        cost_amount numeric(18,2) NOT NULL DEFAULT 0,
        cost_currency text NOT NULL DEFAULT 'USD',
        attack_vector jsonb NOT NULL DEFAULT '{"principals":[],"accessKeyIds":[],"sourceIps":[]}',
        techniques text[] NOT NULL DEFAULT '{}',
        recommended_actions jsonb NOT NULL DEFAULT '[]',
        summary jsonb NOT NULL DEFAULT '{}',
        merged_into_id uuid REFERENCES incidents(id),
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX incidents_list ON incidents (last_seen_at DESC, id DESC) WHERE merged_into_id IS NULL`);
    await q.query(`CREATE INDEX incidents_link_keys ON incidents USING gin (link_keys) WHERE merged_into_id IS NULL`);
    await q.query(`CREATE INDEX incidents_accounts ON incidents USING gin (accounts) WHERE merged_into_id IS NULL`);

    await q.query(`
      CREATE TABLE incident_evidence (
        incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        signal_id uuid NOT NULL REFERENCES signals(id) ON DELETE CASCADE,
        rule text NOT NULL,
        weight real NOT NULL,
        reason text NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (incident_id, signal_id)
      )`);
    // A signal is evidence of at most one live incident; merges move it.
    await q.query(`CREATE UNIQUE INDEX incident_evidence_signal ON incident_evidence (signal_id)`);

    await q.query(`
      CREATE TABLE incident_events (
        id bigserial PRIMARY KEY,
        incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        type text NOT NULL,
        actor text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        data jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX incident_events_incident ON incident_events (incident_id, id)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
    await q.query('DROP TABLE incident_events');
    await q.query('DROP TABLE incident_evidence');
    await q.query('DROP TABLE incidents');
    await q.query('DROP TABLE signals');
  }
}
