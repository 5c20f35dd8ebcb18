import type { AppConfig } from '#src/config/config.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';

/** DATABASE_URL when set; otherwise the embedded PostgreSQL kept in MINEWATCH_DATA_DIR. */
export async function resolveDatabase(
  config: AppConfig,
  log: (m: string) => void,
): Promise<{ url: string; embedded: EmbeddedDatabase | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log });
  return { url: embedded.url, embedded };
}
