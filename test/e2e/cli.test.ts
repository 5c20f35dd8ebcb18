import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { fixturePath } from '../support/fixtures.js';

/** Runs `minewatch …` as a user would (the built bin), feeding `stdin` when given. */
function cli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/scripts/cli.js'), ...args], {
      env: { ...process.env, LOG_LEVEL: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('minewatch ingest (CLI)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  it('sends a file to a running instance when MINEWATCH_URL is set and prints the counts', async () => {
    const env = { MINEWATCH_URL: t.baseUrl.replace('[::1]', '127.0.0.1'), MINEWATCH_API_KEY: ADMIN_KEY };
    const run = await cli(['ingest', 'focus', fixturePath('focus/focus-1.0-aws-daily-gpu-spike.csv')], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { accepted: 0, duplicates: 0, ignored: 2, costRows: 9, costAnomalies: 0 });
  });

  it('exits 1 and names every bad row when the instance refuses the file', async () => {
    const env = { MINEWATCH_URL: t.baseUrl.replace('[::1]', '127.0.0.1'), MINEWATCH_API_KEY: ADMIN_KEY };
    const run = await cli(['ingest', 'focus', fixturePath('focus/focus-malformed.csv')], env);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /400 Invalid payload/);
    assert.match(run.stderr, /1 \/1\/EffectiveCost: EffectiveCost must be a decimal number, got "n\/a" \(CSV line 3\)/);
    assert.match(run.stderr, /4 \/4\/BillingCurrency/);
  });

  it('without MINEWATCH_URL, runs the service in-process on the embedded database and reads standard input', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-cli-'));
    // The embedded PostgreSQL runs as its own user when the tests run as root: it must reach the directory.
    chmodSync(dataDir, 0o755);
    try {
      const ndjson = readFileSync(fixturePath('focus/focus-1.3-rows.ndjson'), 'utf8');
      const run = await cli(
        ['ingest', 'focus', '-'],
        { MINEWATCH_DATA_DIR: join(dataDir, 'data'), MINEWATCH_URL: '', MINEWATCH_API_KEY: '' },
        ndjson,
      );
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), { accepted: 0, duplicates: 0, ignored: 1, costRows: 2, costAnomalies: 0 });
      assert.match(run.stderr, /in-process on the embedded database/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('explains its usage', async () => {
    const run = await cli(['ingest', 'focus'], {});
    assert.equal(run.code, 2);
    assert.match(run.stderr, /usage: minewatch ingest <source> <file\|->/);
  });
});
