/**
 * When attempts happen, as Svix does it: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
 * 10 h after each failure. Eight attempts spread over 27 h 35 min, which keeps the contract's
 * "retries for at least 24 h" even before jitter.
 */
export const RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length;

/** A receiver's Retry-After is honoured up to a day; beyond that it is more likely a bug than a plan. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** An endpoint failing for this long without a single success is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;

export interface RetryInput {
  /** Attempts made so far, the failed one included (1-based). */
  attempts: number;
  /** MINEWATCH_WEBHOOK_RETRY_SCALE: multiplies every delay, Retry-After included (tests run at 0.001). */
  scale: number;
  retryAfterMs?: number | null;
  random?: () => number;
}

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is used up. Jitter only
 * lengthens a step (by up to 20 %), so that many endpoints failing at once spread their retries
 * without ever cutting the 24 hours short.
 */
export function nextRetryDelayMs({ attempts, scale, retryAfterMs, random = Math.random }: RetryInput): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const step = RETRY_SCHEDULE_MS[Math.max(attempts, 1)]!;
  const jittered = step * (1 + 0.2 * random());
  const wanted = Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
  return Math.round(wanted * scale);
}

/** Retry-After as RFC 9110 allows it: delay-seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
