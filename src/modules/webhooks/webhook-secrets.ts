import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { loadEncryptionKey, SecretBox } from '#src/modules/webhooks/secret-box.js';
import { WebhookErrorCode, WebhookException } from '#src/modules/webhooks/webhook.exception.js';
import { WebhooksRepository } from '#src/modules/webhooks/webhooks.repository.js';

const MISSING_KEY =
  'MINEWATCH_ENCRYPTION_KEY is not set: with DATABASE_URL every replica needs the same key ' +
  '(32 random bytes, base64: `openssl rand -base64 32`) to encrypt and read webhook secrets';

/** Seals and opens webhook secrets with the configured (or generated) encryption key. */
@Injectable()
export class WebhookSecrets implements OnModuleInit {
  private readonly logger = new Logger(WebhookSecrets.name);
  private box: Promise<SecretBox | null> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: WebhooksRepository,
  ) {}

  /**
   * With DATABASE_URL and no key, the service still starts (ingest and incidents need no key), but
   * a process that would deliver refuses to start while endpoints exist: it could only fail them.
   * Checked at module init, before the dispatcher and the delivery worker start (at bootstrap).
   */
  async onModuleInit(): Promise<void> {
    if (this.config.encryptionKey || !this.config.databaseUrl) return;
    if (this.config.role !== 'api' && (await this.repo.countEndpoints()) > 0) throw new Error(`${MISSING_KEY}; webhook endpoints exist`);
    this.logger.warn(`${MISSING_KEY}; creating webhooks answers 503 until it is`);
  }

  /** Loaded on first use, so a service that never uses webhooks writes no key file. */
  private get(): Promise<SecretBox | null> {
    this.box ??= loadEncryptionKey(this.config).then((key) => (key ? new SecretBox(key) : null));
    return this.box;
  }

  async require(): Promise<SecretBox> {
    const box = await this.get();
    if (!box) throw new WebhookException(WebhookErrorCode.Unconfigured, `${MISSING_KEY}.`);
    return box;
  }

  async seal(secret: string, endpointId: string): Promise<string> {
    return (await this.require()).seal(secret, endpointId);
  }

  async open(sealed: string, endpointId: string): Promise<string> {
    return (await this.require()).open(sealed, endpointId);
  }
}
