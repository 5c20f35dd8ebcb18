/**
 * npm run demo: sends the "leaked access key, GPU fleet in four regions" scenario through the ingest
 * API and prints the incident report. It uses a running instance when one answers (MINEWATCH_URL,
 * default http://127.0.0.1:$PORT) with MINEWATCH_API_KEY or $MINEWATCH_DATA_DIR/admin.key;
 * otherwise it starts the service itself on the embedded database in MINEWATCH_DATA_DIR, so the
 * incident is still there for `npm start` and GraphiQL afterwards.
 */
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '#src/bootstrap.js';
import { loadConfig } from '#src/config/config.js';
import { leakedKeyScenario, SCENARIO, scenarioTotalImpact } from '#src/demo/leaked-key.scenario.js';
import { resolveDatabase } from '#src/platform/database/resolve-database.js';
import { runMigrationsLocked } from '#src/platform/database/migrator.js';

function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) })).ok;
  } catch {
    return false;
  }
}

async function call<T>(url: string, key: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${res.status}: ${text}`);
  return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
}

async function main(): Promise<void> {
  const config = loadConfig();
  let url = process.env['MINEWATCH_URL'] ?? `http://127.0.0.1:${config.port}`;
  let key =
    config.apiKey ??
    (existsSync(join(config.dataDir, 'admin.key')) ? readFileSync(join(config.dataDir, 'admin.key'), 'utf8').trim() : undefined);
  let stop: (() => Promise<void>) | null = null;

  if ((await reachable(url)) && key) {
    say(`Using the running instance at ${url}`);
  } else {
    if (process.env['MINEWATCH_URL']) throw new Error(`${url} does not answer, or no API key was given (MINEWATCH_API_KEY)`);
    say(`No instance answers at ${url}: starting one on the embedded database in ${config.dataDir}`);
    const { url: dbUrl, embedded } = await resolveDatabase(config, say);
    await runMigrationsLocked(dbUrl);
    const app = await createApp({ ...config, logLevel: 'warn' }, dbUrl);
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    key = config.apiKey ?? readFileSync(join(config.dataDir, 'admin.key'), 'utf8').trim();
    stop = async () => {
      await app.close();
      await embedded?.stop();
    };
  }

  try {
    say('\nSending the scenario as AWS delivers it:');
    for (const payload of leakedKeyScenario()) {
      const body = typeof payload.body === 'string' ? payload.body : JSON.stringify(payload.body);
      const result = await call<{ accepted: number; duplicates: number }>(url, key!, `/v1/ingest/${payload.source}`, {
        method: 'POST',
        headers: { 'content-type': payload.contentType },
        body,
      });
      say(`  ${payload.source.padEnd(17)} ${payload.description}: ${result.accepted} accepted, ${result.duplicates} duplicates`);
    }

    // Correlation runs in the worker after each commit; wait until it has read everything.
    for (let i = 0; ; i++) {
      const status = await call<{ signals: { pendingCorrelation: number } }>(url, key!, '/v1/status');
      if (status.signals.pendingCorrelation === 0) break;
      if (i > 600) throw new Error('correlation did not finish within a minute: is a worker (MINEWATCH_ROLE=worker or all) running?');
      await new Promise((r) => setTimeout(r, 100));
    }

    const page = await call<{ items: Array<{ id: string; attackVector: { accessKeyIds: string[] } }> }>(
      url,
      key!,
      `/v1/incidents?account=${SCENARIO.accountId}&limit=100`,
    );
    const incidents = page.items.filter((i) => i.attackVector.accessKeyIds.includes(SCENARIO.accessKeyId));
    say(
      `\n${incidents.length} incident(s) for access key ${SCENARIO.accessKeyId}; the anomaly's total impact is $${scenarioTotalImpact().toLocaleString('en-US')}.\n`,
    );
    for (const incident of incidents) {
      process.stdout.write(await call<string>(url, key!, `/v1/incidents/${incident.id}/report?format=text`));
    }
    if (incidents.length !== 1) process.exitCode = 1;
  } finally {
    await stop?.();
  }
}

main().catch((error: unknown) => {
  say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
