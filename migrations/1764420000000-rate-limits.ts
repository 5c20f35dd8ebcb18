import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RateLimits1764420000000 implements MigrationInterface {
  name = 'RateLimits1764420000000';

  async up(q: QueryRunner): Promise<void> {
    // Unlogged: counters of the current minute need no crash safety, and skip the WAL.
    await q.query(`
      CREATE UNLOGGED TABLE rate_limits (
        key text NOT NULL,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (key, window_start)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limits');
  }
}
