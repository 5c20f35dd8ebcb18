import 'reflect-metadata';
import '#src/platform/runtime/heap.js';
import { ConfigError, loadConfig, type AppConfig } from '#src/config/config.js';
import { createApp } from '#src/bootstrap.js';
import { resolveDatabase } from '#src/platform/database/resolve-database.js';
import { runMigrationsLocked } from '#src/platform/database/migrator.js';

function say(message: string): void {
  process.stderr.write(`minewatch: ${message}\n`);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      say(error.message);
      process.exit(1);
    }
    throw error;
  }
  const { url, embedded } = await resolveDatabase(config, say);
  let app: Awaited<ReturnType<typeof createApp>> | null = null;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    say(`${signal}: shutting down`);
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const applied = await runMigrationsLocked(url);
    if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
    app = await createApp(config, url);
    await app.listen({ port: config.port, host: config.host });
    say(`${config.role} listening on http://${config.host}:${config.port} (GraphiQL /graphiql, API docs /docs)`);
  } catch (error) {
    say(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main();
