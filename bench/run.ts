/**
 * npm run bench: runs every bench/*.bench.js module (or those named on the command line) and prints
 * each figure as a ratio against its baseline measured in the same run.
 */
import { mkdtempSync, rmSync, chmodSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Bench, figure } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

// One embedded PostgreSQL for the run; each benchmark makes its own database in it
// (test/support/database.ts reads the same variable the test runner sets).
const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-bench-'));
chmodSync(dataDir, 0o755);
const { startEmbeddedPostgres } = await import('#src/platform/database/embedded-postgres.js');
const db = await startEmbeddedPostgres({ dataDir, database: 'postgres' });
process.env['MINEWATCH_TEST_DATABASE_URL'] = db.url;
process.env['LOG_LEVEL'] ??= 'warn';

console.log(`MineWatch benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
if (files.length === 0) console.log('no benchmarks matched');
let missed = 0;
for (const file of files) {
  const bench = (await import(pathToFileURL(join(here, file)).href)).default as Bench;
  const started = Date.now();
  const figures = await bench.run();
  console.log(`\n# ${bench.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const f of figures) {
    console.log(figure(f));
    if (f.target !== undefined && f.ratio < f.target) missed++;
  }
}
if (missed > 0) console.log(`\n${missed} figure(s) below target`);
await db.stop();
rmSync(dataDir, { recursive: true, force: true });
