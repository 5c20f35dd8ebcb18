import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LifecycleSuppression1764380000000 implements MigrationInterface {
  name = 'LifecycleSuppression1764380000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE incidents ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now()`);
    // A campaign that came back after its incident was closed opens a new incident linked to the old.
    await q.query(`ALTER TABLE incidents ADD COLUMN related_incident_id uuid REFERENCES incidents(id)`);
    await q.query(
      `CREATE INDEX incidents_recently_closed ON incidents (status_changed_at) WHERE merged_into_id IS NULL AND status IN ('RESOLVED','FALSE_POSITIVE')`,
    );
    await q.query(`
      CREATE TABLE suppression_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        reason text NOT NULL,
        match jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        disabled_at timestamptz
      )`);
    await q.query(`ALTER TABLE signals ADD COLUMN suppressed_by uuid REFERENCES suppression_rules(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX signals_suppressed_by ON signals (suppressed_by) WHERE suppressed_by IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signals DROP COLUMN suppressed_by`);
    await q.query(`DROP TABLE suppression_rules`);
    await q.query(`DROP INDEX incidents_recently_closed`);
    await q.query(`ALTER TABLE incidents DROP COLUMN related_incident_id`);
    await q.query(`ALTER TABLE incidents DROP COLUMN status_changed_at`);
  }
}
