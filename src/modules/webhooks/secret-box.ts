import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '#src/config/config.js';

const VERSION = 'v1';

/** A short, non-reversible name for a key, stored with each sealed value to explain a mismatch. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM for webhook secrets at rest. Each value is bound (as additional data) to the row it
 * belongs to, so a sealed secret copied onto another endpoint does not open.
 * Format: `v1.<key id>.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.keyId = keyId(key);
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      this.keyId,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  open(sealed: string, boundTo: string): string {
    const [version, kid, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !kid || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed webhook secret');
    if (kid !== this.keyId) {
      throw new Error(
        `this webhook secret was encrypted with key ${kid}, but this process has key ${this.keyId}: ` +
          'every replica needs the same MINEWATCH_ENCRYPTION_KEY',
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

export const ENCRYPTION_KEY_FILE = 'encryption.key';

/**
 * The key that encrypts webhook secrets:
 * - MINEWATCH_ENCRYPTION_KEY when set;
 * - on the embedded database (no DATABASE_URL), generated once into `$MINEWATCH_DATA_DIR/encryption.key`
 *   (mode 0600), beside the data it protects, the way admin.key is;
 * - with DATABASE_URL and no variable, none: replicas sharing a database must share the key, and a
 *   file one replica invents would make the others' secrets unreadable. Null then.
 */
export async function loadEncryptionKey(config: Pick<AppConfig, 'encryptionKey' | 'databaseUrl' | 'dataDir'>): Promise<Buffer | null> {
  if (config.encryptionKey) return Buffer.from(config.encryptionKey, 'base64');
  if (config.databaseUrl) return null;
  const file = join(config.dataDir, ENCRYPTION_KEY_FILE);
  try {
    return decodeKeyFile(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  // Written whole under a private name, then linked into place: link() fails if the file exists, so
  // of two processes starting on one data directory one key wins and nobody reads a half-written file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
  return decodeKeyFile(await readFile(file, 'utf8'), file);
}

function decodeKeyFile(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return key;
}
