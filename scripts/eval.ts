/**
 * npm run eval: runs the correlation scenario suite (test/scenarios) on a fresh embedded PostgreSQL
 * and prints recall, precision, grouping accuracy and cost-impact error.
 */
import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';
import { evaluate } from '../test/scenarios/evaluate.js';
import { scenarios } from '../test/scenarios/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-eval-'));
chmodSync(dataDir, 0o755);
const db = await startEmbeddedPostgres({ dataDir, database: 'postgres' });
process.env['MINEWATCH_TEST_DATABASE_URL'] = db.url;
try {
  console.log(`Running ${scenarios.length} scenarios …`);
  const e = await evaluate(scenarios, (line) => console.log(`  ${line}`));
  const campaigns = e.results.flatMap((r) => r.campaigns).length;
  console.log(
    `\n${scenarios.length} scenarios, ${campaigns} mining campaigns, ${scenarios.filter((s) => s.campaigns.length === 0).length} look-alikes`,
  );
  console.log(
    `recall ${e.recall.toFixed(2)}  precision ${e.precision.toFixed(2)}  grouping accuracy ${e.grouping.toFixed(2)}  cost-impact error ${(e.costError * 100).toFixed(1)} %`,
  );
  process.exitCode = e.recall === 1 && e.precision === 1 && e.grouping === 1 && e.costError <= 0.1 ? 0 : 1;
} finally {
  await db.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
