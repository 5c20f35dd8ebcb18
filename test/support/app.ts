import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { createApp } from '#src/bootstrap.js';
import { loadConfig, type AppConfig } from '#src/config/config.js';
import { CorrelationService } from '#src/modules/correlation/correlation.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';
import { ApiKeysService } from '#src/platform/auth/api-keys.service.js';
import type { Scope } from '#src/platform/auth/api-key.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const ADMIN_KEY = 'mwk_test_admin_key_0123456789abcdefghij';

export interface TestApp {
  app: NestFastifyApplication;
  db: TestDatabase;
  config: AppConfig;
  /** supertest bound to the running server. */
  http: ReturnType<typeof supertest>;
  baseUrl: string;
  auth: { authorization: string };
  keyWith(scopes: Scope[]): Promise<string>;
  /** Waits until the correlation engine has read every stored signal. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The real service on a fresh database over real HTTP (loopback, random port). */
export async function startTestApp(env: Record<string, string> = {}, shared?: { db: TestDatabase }): Promise<TestApp> {
  // A replica shares another app's database; it then leaves dropping it to that app.
  const db = shared?.db ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'minewatch-e2e-'));
  const config = loadConfig({
    MINEWATCH_DATA_DIR: dataDir,
    MINEWATCH_API_KEY: ADMIN_KEY,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    MINEWATCH_CORRELATION_POLL_MS: '100',
    ...env,
  });
  const app = await createApp(config, db.url);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = await app.getUrl();
  const correlation = config.role === 'api' ? null : app.get(CorrelationService);
  const signals = app.get(SignalsRepository, { strict: false });
  return {
    app,
    db,
    config,
    http: supertest(baseUrl.replace('[::1]', '127.0.0.1')),
    baseUrl,
    auth: { authorization: `Bearer ${ADMIN_KEY}` },
    keyWith: async (scopes) => (await app.get(ApiKeysService).create(`test ${scopes.join(',')}`, scopes)).key,
    settle: async () => {
      for (let i = 0; i < 600; i++) {
        if (correlation) await correlation.drain();
        if ((await signals.counts()).pendingCorrelation === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('correlation did not settle within 30 s');
    },
    close: async () => {
      await app.close();
      if (!shared) await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
