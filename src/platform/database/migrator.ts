import type { DataSource } from 'typeorm';
import { createDataSource } from '#src/platform/database/data-source.js';

// Any constant works; it only has to be the same in every replica ("MWMIGRAT" as bytes).
const MIGRATION_LOCK = 0x4d574d4947524154n;

/**
 * Applies pending migrations while holding a session-level advisory lock, so replicas that start
 * together apply them once: the others wait on the lock and then find nothing pending.
 */
export async function runMigrationsLocked(url: string): Promise<string[]> {
  const ds: DataSource = createDataSource(url);
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}

/** True when every known migration is recorded in the database (readiness). */
export async function pendingMigrations(ds: DataSource): Promise<boolean> {
  return ds.showMigrations();
}
