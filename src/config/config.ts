import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || address === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(address);
  const max = family === 4 ? 32 : family === 6 ? 128 : -1;
  return max > 0 && Number(bits) <= max;
}

function isEncryptionKey(value: string): boolean {
  return /^[A-Za-z0-9+/_-]{43}=?$/.test(value) && Buffer.from(value, 'base64').length === 32;
}

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').default(fallback);

/** Every variable the service reads, validated once at start-up. */
const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  MINEWATCH_DATA_DIR: z.string().min(1, 'must not be empty').default('./.minewatch'),
  MINEWATCH_ROLE: z.enum(['api', 'worker', 'all'], { error: 'must be one of api, worker, all' }).default('all'),
  MINEWATCH_API_KEY: z.string().min(20, 'must be at least 20 characters').optional(),
  MINEWATCH_WEBHOOK_ALLOWED_CIDRS: z
    .string()
    .default('')
    .transform((raw, ctx) => {
      const list = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const cidr of list) {
        if (!isCidr(cidr)) ctx.addIssue({ code: 'custom', message: `"${cidr}" is not a CIDR such as 127.0.0.0/8` });
      }
      return list;
    }),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  MINEWATCH_MAX_BODY_BYTES: positiveInt(32 * 1024 * 1024),
  MINEWATCH_CORRELATION_WINDOW_HOURS: positiveInt(72),
  MINEWATCH_CORRELATION_POLL_MS: positiveInt(1000),
  MINEWATCH_SIGNAL_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (keep forever) or more')
    .default(400),
  MINEWATCH_COST_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .refine((n) => n === 0 || n >= 60, 'must be 0 (keep forever) or at least 60 (the cost detector looks 8 weeks back)')
    .default(400),
  MINEWATCH_PUBSUB_AUDIENCE: z.string().min(1).optional(),
  MINEWATCH_SNS_VERIFY: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  MINEWATCH_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .default(1200),
  MINEWATCH_ENCRYPTION_KEY: z
    .string()
    .refine(isEncryptionKey, 'must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)')
    .optional(),
  MINEWATCH_WEBHOOK_TIMEOUT_MS: positiveInt(15_000),
  MINEWATCH_WEBHOOK_RETRY_SCALE: z.coerce
    .number({ error: 'must be a number' })
    .positive('must be positive')
    .max(1000, 'must be at most 1000')
    .default(1),
  MINEWATCH_CONNECTOR_RETRY_BASE_MS: positiveInt(500),
  MINEWATCH_MAX_STREAM_BYTES: positiveInt(2 * 1024 * 1024 * 1024),
  MINEWATCH_COST_ANOMALY_MIN_IMPACT: z.coerce.number({ error: 'must be a number' }).positive('must be positive').default(50),
});

export type Role = 'api' | 'worker' | 'all';

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  role: Role;
  apiKey: string | undefined;
  webhookAllowedCidrs: string[];
  logLevel: (typeof LOG_LEVELS)[number];
  maxBodyBytes: number;
  correlation: { windowHours: number; pollMs: number };
  /** When set, Pub/Sub push envelopes must carry a Google OIDC token for this audience. */
  pubsubAudience: string | undefined;
  /** Verify the signature of SNS envelopes (and confirm subscriptions only when it holds). */
  snsVerify: boolean;
  /** Days a signal that is evidence of no incident is kept; 0 keeps everything. */
  signalRetentionDays: number;
  /** Days of daily cost series kept (0: all). */
  costRetentionDays: number;
  /** Requests per API key (or address) per minute, across replicas; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Base64 of the 32-byte key that encrypts webhook secrets; unset: see WebhookSecretBox. */
  encryptionKey: string | undefined;
  /** `retryScale` multiplies every webhook retry delay (tests use 0.001). */
  webhooks: { timeoutMs: number; retryScale: number };
  /** Pull connectors: first backoff delay after a throttled or failed cloud call (doubles each retry, with jitter). */
  connectors: { retryBaseMs: number };
  /** Largest streamed ingest body (CSV, NDJSON), which is read batch by batch rather than held in memory. */
  maxStreamBytes: number;
  /** MineWatch's own cost anomaly detector: the smallest daily excess it reports, in the series' currency. */
  costDetector: { minImpact: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and checks the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable means "not set", as in most twelve-factor services.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      // Never echo the value: MINEWATCH_API_KEY and DATABASE_URL carry secrets.
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.MINEWATCH_DATA_DIR),
    role: e.MINEWATCH_ROLE,
    apiKey: e.MINEWATCH_API_KEY,
    webhookAllowedCidrs: e.MINEWATCH_WEBHOOK_ALLOWED_CIDRS,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MINEWATCH_MAX_BODY_BYTES,
    correlation: { windowHours: e.MINEWATCH_CORRELATION_WINDOW_HOURS, pollMs: e.MINEWATCH_CORRELATION_POLL_MS },
    rateLimitPerMinute: e.MINEWATCH_RATE_LIMIT_PER_MINUTE,
    signalRetentionDays: e.MINEWATCH_SIGNAL_RETENTION_DAYS,
    costRetentionDays: e.MINEWATCH_COST_RETENTION_DAYS,
    snsVerify: e.MINEWATCH_SNS_VERIFY === 'true',
    pubsubAudience: e.MINEWATCH_PUBSUB_AUDIENCE,
    encryptionKey: e.MINEWATCH_ENCRYPTION_KEY,
    webhooks: { timeoutMs: e.MINEWATCH_WEBHOOK_TIMEOUT_MS, retryScale: e.MINEWATCH_WEBHOOK_RETRY_SCALE },
    connectors: { retryBaseMs: e.MINEWATCH_CONNECTOR_RETRY_BASE_MS },
    maxStreamBytes: e.MINEWATCH_MAX_STREAM_BYTES,
    costDetector: { minImpact: e.MINEWATCH_COST_ANOMALY_MIN_IMPACT },
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
