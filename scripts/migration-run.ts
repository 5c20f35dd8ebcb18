/**
 * npm run migration:run: applies migrations/ to DATABASE_URL under the same advisory lock that
 * start-up takes, so it is safe while replicas start.
 */
import 'reflect-metadata';
import { ConfigError, loadConfig } from '#src/config/config.js';
import { runMigrationsLocked } from '#src/platform/database/migrator.js';

try {
  const config = loadConfig();
  if (!config.databaseUrl) {
    console.error('DATABASE_URL is not set. (Without it the service runs its embedded PostgreSQL and migrates it on start.)');
    process.exit(1);
  }
  const applied = await runMigrationsLocked(config.databaseUrl);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the database is up to date');
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `migration failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
