import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { ConnectorErrorCode, ConnectorException } from '#src/modules/connectors-admin/connector.exception.js';
import type { ConnectorSecrets } from '#src/modules/connectors-admin/fetchers/fetcher.js';
// The same sealing (AES-256-GCM, bound to the row) and key as webhook secrets: one key to manage.
import { loadEncryptionKey, SecretBox } from '#src/modules/webhooks/secret-box.js';

const MISSING_KEY =
  'MINEWATCH_ENCRYPTION_KEY is not set: with DATABASE_URL every replica needs the same key ' +
  '(32 random bytes, base64: `openssl rand -base64 32`) to store connector secrets. Connectors that use the ' +
  "SDK's default credential chain and no external id need no key";

/** Seals connector secrets (static keys, tokens, external ids) for the database and opens them for a run. */
@Injectable()
export class ConnectorSecretStore {
  private box: Promise<SecretBox | null> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private get(): Promise<SecretBox | null> {
    this.box ??= loadEncryptionKey(this.config).then((key) => (key ? new SecretBox(key) : null));
    return this.box;
  }

  private async require(): Promise<SecretBox> {
    const box = await this.get();
    if (!box) throw new ConnectorException(ConnectorErrorCode.Unconfigured, `${MISSING_KEY}.`);
    return box;
  }

  /** Null when there is nothing secret to keep. */
  async seal(secrets: ConnectorSecrets, connectorId: string): Promise<string | null> {
    const present = Object.fromEntries(Object.entries(secrets).filter(([, v]) => typeof v === 'string' && v.length > 0));
    if (Object.keys(present).length === 0) return null;
    return (await this.require()).seal(JSON.stringify(present), `connector:${connectorId}`);
  }

  async open(sealed: string | null, connectorId: string): Promise<ConnectorSecrets> {
    if (!sealed) return {};
    return JSON.parse((await this.require()).open(sealed, `connector:${connectorId}`)) as ConnectorSecrets;
  }
}
