import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import {
  AddressNotAllowedError,
  AddressPolicy,
  guardedLookup,
  type Resolver,
  stripBrackets,
  systemResolver,
} from '#src/modules/webhooks/address-policy.js';
import { parseRetryAfter } from '#src/modules/webhooks/retry-schedule.js';

export const DELIVERY_OUTCOMES = [
  'succeeded',
  'http_error',
  'gone',
  'redirect',
  'timeout',
  'network_error',
  'refused',
  'interrupted',
  'internal',
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface SendResult {
  outcome: DeliveryOutcome;
  statusCode: number | null;
  latencyMs: number;
  /** What went wrong, for the delivery log: never the receiver's response body. */
  error: string | null;
  /** The receiver's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs: number | null;
}

const USER_AGENT = 'MineWatch-Webhooks/1';
// A receiver's answer is read only to keep the connection reusable; beyond this it is dropped.
const MAX_DRAINED_BODY = 64 * 1024;

/**
 * The HTTP client of webhook delivery: undici with every connection vetted at connect time (literal
 * addresses in the connector, names in its lookup), no redirects followed (undici's request never
 * follows them), and one timeout for the whole exchange.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(
    readonly policy: AddressPolicy,
    private readonly timeoutMs: number,
    resolve: Resolver = systemResolver,
  ) {
    const connect = buildConnector({ lookup: guardedLookup(policy, resolve), timeout: timeoutMs });
    this.agent = new Agent({
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // net.connect skips `lookup` for a literal address, so literals are judged here.
      connect: (options, callback) => {
        const host = stripBrackets(options.hostname);
        const range = isIP(host) ? policy.refusal(host) : null;
        if (range) {
          callback(new AddressNotAllowedError(host, range), null);
          return;
        }
        connect(options, callback);
      },
    });
  }

  async post(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // One deadline for the whole exchange (undici's own timeouts are per phase). A cleared timer
    // rather than AbortSignal.timeout(), whose timers would outlive thousands of quick requests.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException('webhook timeout', 'TimeoutError')), this.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
        body,
        signal: abort.signal,
      });
      await res.body.dump({ limit: MAX_DRAINED_BODY }).catch(() => undefined);
      const statusCode = res.statusCode;
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      const base = { statusCode, latencyMs: elapsed(), retryAfterMs };
      if (statusCode >= 200 && statusCode < 300) return { ...base, outcome: 'succeeded', error: null };
      if (statusCode >= 300 && statusCode < 400)
        return { ...base, outcome: 'redirect', error: `HTTP ${statusCode}: redirects are not followed` };
      if (statusCode === 410) return { ...base, outcome: 'gone', error: 'HTTP 410 Gone: the receiver asked to stop' };
      return { ...base, outcome: 'http_error', error: `HTTP ${statusCode}` };
    } catch (error) {
      return { ...describeFailure(error, this.timeoutMs), statusCode: null, latencyMs: elapsed(), retryAfterMs: null };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** Nest calls this at shutdown (webhooks.module.ts builds the sender with a factory). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

function describeFailure(error: unknown, timeoutMs: number): { outcome: DeliveryOutcome; error: string } {
  const e = error as { name?: string; code?: string; message?: string; cause?: unknown };
  if (e instanceof AddressNotAllowedError) return { outcome: 'refused', error: e.message };
  if (e.cause instanceof AddressNotAllowedError) return { outcome: 'refused', error: e.cause.message };
  if (
    e.name === 'TimeoutError' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.code === 'ETIMEDOUT'
  ) {
    return { outcome: 'timeout', error: `no answer within ${timeoutMs} ms` };
  }
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  const message = e.message ?? String(error);
  return { outcome: 'network_error', error: code && !message.includes(code) ? `${code}: ${message}` : message };
}
