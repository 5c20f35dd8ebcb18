import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily cost series for MineWatch's own cost anomaly detector (src/modules/cost). A series is a
 * resource, a service in a region, or an account total, per currency; `cost_daily` holds one row
 * per series, day and ingest source, replaced when an export is sent again.
 */
export class CostSeries1764390000000 implements MigrationInterface {
  name = 'CostSeries1764390000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cost_series (
        series_key text PRIMARY KEY,
        parent_key text,
        level text NOT NULL CHECK (level IN ('resource','service','account')),
        provider text NOT NULL CHECK (provider IN ('aws','azure','gcp')),
        account_id text NOT NULL,
        currency text NOT NULL,
        service text,
        region text,
        resource_id text,
        -- the first day with a row: days after it without one cost 0, days before it are unknown
        first_day date NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE cost_daily (
        series_key text NOT NULL REFERENCES cost_series(series_key) ON DELETE CASCADE,
        day date NOT NULL,
        source text NOT NULL,
        amount numeric(20,6) NOT NULL,
        -- the usage type that cost the most that day (BoxUsage:p3.8xlarge), and what it cost
        usage_type text,
        usage_amount numeric(20,6),
        -- rows of the same request add up; a later request replaces them
        ingest_id uuid NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (series_key, day, source)
      )`);
    // Orders the versions of the detector's signals across requests and replicas.
    await q.query(`CREATE SEQUENCE cost_detector_revision`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SEQUENCE cost_detector_revision`);
    await q.query(`DROP TABLE cost_daily`);
    await q.query(`DROP TABLE cost_series`);
  }
}
