import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runMigrationsLocked } from '#src/platform/database/migrator.js';

/** The embedded server test/run.mjs started for this run. */
function serverUrl(): string {
  const url = process.env['MINEWATCH_TEST_DATABASE_URL'];
  if (!url) throw new Error('MINEWATCH_TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database with every migration applied; one per test file keeps files independent. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  if (options.migrate !== false) await runMigrationsLocked(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
