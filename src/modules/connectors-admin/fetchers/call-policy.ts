/**
 * How a connector talks to a cloud that pushes back. The SDKs' own retries are turned off (AWS
 * `maxAttempts: 1`, Azure `maxRetries: 0`, BigQuery `autoRetry: false`, gax `retry: null`) so one
 * policy holds for every cloud: throttling and transient failures are retried with exponential
 * backoff and full jitter (or the server's Retry-After), and counted; anything else, or a failure
 * that outlasts the attempts, ends the stream and is recorded on the connector's status.
 */

export interface Verdict {
  retry: boolean;
  throttled: boolean;
  retryAfterMs: number | null;
}

const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);
const TRANSIENT_NAMES = new Set([
  'InternalServerException',
  'InternalServerErrorException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ECONNABORTED']);
// gRPC status codes that Google's clients report, also over the REST fallback.
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
// What gax reports for an HTTP 500 over the REST fallback.
const GRPC_INTERNAL = 13;

interface CloudError {
  name?: string;
  code?: string | number;
  statusCode?: number;
  status?: number | string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  response?: { status?: number; headers?: { get?(name: string): string | undefined | null } | Record<string, string> };
  errors?: Array<{ reason?: string }>;
}

function header(error: CloudError, name: string): string | null {
  const fromAws = error.$response?.headers?.[name];
  if (typeof fromAws === 'string') return fromAws;
  const headers = error.response?.headers;
  if (!headers) return null;
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(n: string): string | undefined | null }).get(name) ?? null;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : null;
}

/** Seconds or an HTTP date, as Retry-After says it; capped so one answer cannot stall a run. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 60_000) : null;
}

/** Whether an SDK error (AWS, Azure, Google) is worth another attempt, and whether it was throttling. */
export function classify(error: unknown): Verdict {
  const e = (error ?? {}) as CloudError;
  const status =
    e.$metadata?.httpStatusCode ??
    e.statusCode ??
    (typeof e.status === 'number' ? e.status : undefined) ??
    e.response?.status ??
    (typeof e.code === 'number' && e.code >= 100 ? e.code : undefined);
  const name = e.name ?? '';
  const code = e.code;
  const reasons = (e.errors ?? []).map((x) => x.reason);
  const after = retryAfterMs(header(e, 'retry-after') ?? header(e, 'Retry-After'));
  const throttled =
    THROTTLE_NAMES.has(name) ||
    (typeof code === 'string' && THROTTLE_NAMES.has(code)) ||
    status === 429 ||
    code === GRPC_RESOURCE_EXHAUSTED ||
    e.status === 'RESOURCE_EXHAUSTED' ||
    reasons.includes('rateLimitExceeded') ||
    reasons.includes('backendError');
  if (throttled) return { retry: true, throttled: true, retryAfterMs: after };
  const transient =
    TRANSIENT_NAMES.has(name) ||
    (typeof status === 'number' && status >= 500) ||
    code === GRPC_UNAVAILABLE ||
    code === GRPC_INTERNAL ||
    code === GRPC_DEADLINE_EXCEEDED ||
    (typeof code === 'string' && NETWORK_CODES.has(code));
  return { retry: transient, throttled: false, retryAfterMs: transient ? after : null };
}

export interface BackoffOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
  onRetry?(verdict: Verdict, attempt: number, delayMs: number): void;
  sleep?(ms: number): Promise<void>;
}

/** Runs `fn`, retrying what `classify` calls retryable: full-jitter exponential backoff. */
export async function withBackoff<T>(fn: () => Promise<T>, options: BackoffOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const verdict = classify(error);
      if (!verdict.retry || attempt >= options.attempts) throw error;
      const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
      const delay = verdict.retryAfterMs ?? Math.round(Math.random() * ceiling);
      options.onRetry?.(verdict, attempt, delay);
      await sleep(delay);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// What an error may say on the connector's status

const SECRET_PATTERNS: RegExp[] = [
  /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"]+/gi,
  /((?:access_token|refresh_token|client_secret|password|sig|signature|token|secret|key)["']?\s*[=:]\s*["']?)[^\s&"',;]+/gi,
  /\bAWS4-HMAC-SHA256\s+Credential=[^\s,]+/gi,
  // A private key block, should a credential file ever be quoted back.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

/**
 * An error message fit for the connector's status and the log: the connector's own secrets and
 * anything shaped like a credential (bearer tokens, signatures, `secret=` pairs) are cut out, and
 * the length is bounded so a cloud cannot echo a whole payload into our database.
 */
export function safeErrorMessage(error: unknown, secrets: readonly (string | undefined)[]): string {
  const e = error as { name?: string; message?: string; code?: unknown };
  let text = `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(error)}`;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  for (const pattern of SECRET_PATTERNS) {
    text = text.replace(pattern, (match, prefix: unknown) =>
      typeof prefix === 'string' && prefix !== match ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 500 ? `${text.slice(0, 497)}…` : text;
}
