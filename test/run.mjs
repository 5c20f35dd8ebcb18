#!/usr/bin/env node
// Runs the whole suite: one embedded PostgreSQL for the run (each test file makes its own database
// in it), Node's test runner over the compiled tests, and one closing line `N passed, N failed`.
// Arguments narrow the files: `node test/run.mjs unit` or a path under dist/test.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.cwd();
const { startEmbeddedPostgres } = await import(pathToFileURL(join(root, 'dist/src/platform/database/embedded-postgres.js')).href);

const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-test-'));
chmodSync(dataDir, 0o755);
const db = await startEmbeddedPostgres({ dataDir, database: 'postgres' });

const args = process.argv.slice(2);
const patterns =
  args.length === 0
    ? ['dist/test/**/*.test.js']
    : args.map((a) => (a.includes('/') || a.endsWith('.js') ? a : `dist/test/${a}/**/*.test.js`));

let output = '';
const child = spawn(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...patterns],
  {
    cwd: root,
    env: { ...process.env, MINEWATCH_TEST_DATABASE_URL: db.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
await db.stop().catch(() => undefined);
rmSync(dataDir, { recursive: true, force: true });

const count = (name) => Number(new RegExp(`^\\S*\\s*${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
console.log(`${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
