import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_ATTEMPTS,
  MAX_RETRY_AFTER_MS,
  nextRetryDelayMs,
  parseRetryAfter,
  RETRY_SCHEDULE_MS,
} from '#src/modules/webhooks/retry-schedule.js';

const HOUR = 3_600_000;

describe('webhook retry schedule', () => {
  it('follows Svix: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const delays = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => nextRetryDelayMs({ attempts: i + 1, scale: 1, random: () => 0 }));
    assert.deepEqual(delays, [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    assert.equal(nextRetryDelayMs({ attempts: MAX_ATTEMPTS, scale: 1 }), null, 'eight attempts, then it gives up');
    assert.equal(RETRY_SCHEDULE_MS[0], 0);
  });

  it('keeps retrying for at least 24 hours whatever the jitter, and jitter adds at most 20 %', () => {
    for (const r of [0, 0.5, 0.999]) {
      let total = 0;
      for (let attempts = 1; attempts < MAX_ATTEMPTS; attempts++) total += nextRetryDelayMs({ attempts, scale: 1, random: () => r })!;
      assert.ok(total >= 24 * HOUR, `total ${total / HOUR} h with random ${r}`);
      assert.ok(total <= 27.6 * HOUR * 1.2);
    }
  });

  it("honours a receiver's Retry-After when it asks for longer, up to a day", () => {
    assert.equal(nextRetryDelayMs({ attempts: 1, scale: 1, random: () => 0, retryAfterMs: 120_000 }), 120_000);
    assert.equal(
      nextRetryDelayMs({ attempts: 3, scale: 1, random: () => 0, retryAfterMs: 1_000 }),
      1_800_000,
      'a shorter one does not hurry the schedule',
    );
    assert.equal(nextRetryDelayMs({ attempts: 1, scale: 1, random: () => 0, retryAfterMs: 10 * 86_400_000 }), MAX_RETRY_AFTER_MS);
  });

  it('scales every delay by MINEWATCH_WEBHOOK_RETRY_SCALE', () => {
    assert.equal(nextRetryDelayMs({ attempts: 1, scale: 0.001, random: () => 0 }), 5);
    assert.equal(nextRetryDelayMs({ attempts: 7, scale: 0.001, random: () => 0 }), 36_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Fri, 20 Nov 2026 10:05:00 GMT', now), 300_000);
    assert.equal(parseRetryAfter('Fri, 20 Nov 2026 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter(undefined, now), null);
  });
});
