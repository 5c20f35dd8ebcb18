import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { ApiKeyEntity } from '#src/platform/auth/api-key.entity.js';
import { generateApiKey, hashApiKey, keyPrefix, SCOPES, type Scope } from '#src/platform/auth/api-key.js';

const CACHE_MS = 10_000;

export interface AuthenticatedKey {
  id: string;
  name: string;
  scopes: Scope[];
}

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get repo() {
    return this.ds.getRepository(ApiKeyEntity);
  }

  /**
   * Known keys by hash, for CACHE_MS: without it every request pays a database round trip before
   * its own query. A revocation clears this replica's entry at once; other replicas notice
   * within CACHE_MS.
   */
  private readonly cache = new Map<string, { key: AuthenticatedKey; until: number }>();

  async authenticate(key: string): Promise<AuthenticatedKey | null> {
    const hash = hashApiKey(key);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.key;
    const row = await this.repo.findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    if (!row) {
      this.cache.delete(hash);
      return null;
    }
    const authenticated = { id: row.id, name: row.name, scopes: row.scopes as Scope[] };
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(hash, { key: authenticated, until: Date.now() + CACHE_MS });
    return authenticated;
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.repo.find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.repo.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    for (const [hash, entry] of this.cache) if (entry.key.id === id) this.cache.delete(hash);
    return (result.affected ?? 0) > 0;
  }

  async create(name: string, scopes: Scope[]): Promise<{ key: string; entity: ApiKeyEntity }> {
    const key = generateApiKey();
    const entity = await this.repo.save(this.repo.create({ name, scopes, keyHash: hashApiKey(key), prefix: keyPrefix(key) }));
    return { key, entity };
  }

  /**
   * MINEWATCH_API_KEY, when set, is an admin key. Without it, the first start creates one, keeps
   * only its hash, prints it once and writes it to `$MINEWATCH_DATA_DIR/admin.key` (0600).
   */
  async bootstrap(): Promise<void> {
    const configured = this.config.apiKey;
    if (configured) {
      const hash = hashApiKey(configured);
      await this.ds.query(
        `INSERT INTO api_keys (name, prefix, key_hash, scopes) VALUES ('bootstrap (MINEWATCH_API_KEY)', $1, $2, $3)
         ON CONFLICT (key_hash) DO NOTHING`,
        [keyPrefix(configured), hash, ['admin']],
      );
      return;
    }
    // Serialise with other replicas starting at the same moment.
    await this.ds.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('minewatch:bootstrap-key'))`);
      const [{ count }] = (await tx.query(
        `SELECT count(*)::int AS count FROM api_keys WHERE revoked_at IS NULL AND 'admin' = ANY(scopes)`,
      )) as [{ count: number }];
      if (count > 0) return;
      const key = generateApiKey();
      await tx.query(`INSERT INTO api_keys (name, prefix, key_hash, scopes) VALUES ('bootstrap admin', $1, $2, $3)`, [
        keyPrefix(key),
        hashApiKey(key),
        [...SCOPES].filter((s) => s === 'admin'),
      ]);
      await mkdir(this.config.dataDir, { recursive: true });
      const file = join(this.config.dataDir, 'admin.key');
      await writeFile(file, key + '\n', { mode: 0o600 });
      await chmod(file, 0o600);
      // Printed once, on purpose, outside the structured log so it never reaches a log pipeline.
      process.stderr.write(
        `\nMineWatch created an admin API key (shown once, also saved to ${file}):\n\n    ${key}\n\n` +
          `Use it as: Authorization: Bearer <key>\n\n`,
      );
      this.logger.log(`bootstrap admin key created (prefix ${keyPrefix(key)})`);
    });
  }
}
