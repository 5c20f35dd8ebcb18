import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, retryAfterMs, safeErrorMessage, withBackoff } from '#src/modules/connectors-admin/fetchers/call-policy.js';

describe('connector call policy', () => {
  it("classifies the clouds' throttling and transient errors as retryable, the rest not", () => {
    const table: Array<[string, unknown, boolean, boolean]> = [
      ['AWS JSON ThrottlingException', { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, true, true],
      ['Cost Explorer LimitExceededException', { name: 'LimitExceededException', $metadata: { httpStatusCode: 400 } }, true, true],
      ['EC2 RequestLimitExceeded', { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }, true, true],
      ['GuardDuty 429', { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }, true, true],
      ['AWS 500', { name: 'InternalServerErrorException', $metadata: { httpStatusCode: 500 } }, true, false],
      ['Azure 429', { name: 'RestError', statusCode: 429 }, true, true],
      ['Google RESOURCE_EXHAUSTED', { code: 8 }, true, true],
      ['Google UNAVAILABLE', { code: 14 }, true, false],
      ['BigQuery rateLimitExceeded', { code: 403, errors: [{ reason: 'rateLimitExceeded' }] }, true, true],
      ['connection reset', { code: 'ECONNRESET' }, true, false],
      ['AWS AccessDenied', { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }, false, false],
      ['Azure 404', { name: 'RestError', statusCode: 404 }, false, false],
      ['Google INVALID_ARGUMENT', { code: 3 }, false, false],
    ];
    for (const [what, error, retry, throttled] of table) {
      const verdict = classify(error);
      assert.deepEqual([verdict.retry, verdict.throttled], [retry, throttled], what);
    }
  });

  it('honours Retry-After, in seconds or as a date, within a bound', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(1_000_000 + 5000).toUTCString(), 1_000_000), 5000);
    assert.equal(retryAfterMs('100000'), 60_000);
    assert.equal(retryAfterMs(null), null);
    assert.equal(
      classify({ statusCode: 429, response: { headers: { get: (n: string) => (n === 'retry-after' ? '2' : undefined) } } }).retryAfterMs,
      2000,
    );
  });

  it('retries with growing delays until the call succeeds, and gives up after the attempts', async () => {
    const delays: number[] = [];
    let calls = 0;
    const value = await withBackoff(
      async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
        return 'ok';
      },
      { attempts: 5, baseMs: 100, maxMs: 1000, sleep: async (ms) => void delays.push(ms) },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
    assert.ok(delays[0]! <= 100 && delays[1]! <= 200, `full jitter below the doubling ceiling: ${delays.join()}`);
    let attempts = 0;
    await assert.rejects(
      withBackoff(
        async () => {
          attempts += 1;
          throw Object.assign(new Error('down'), { statusCode: 503 });
        },
        { attempts: 4, baseMs: 1, maxMs: 1, sleep: async () => undefined },
      ),
      /down/,
    );
    assert.equal(attempts, 4);
    let refused = 0;
    await assert.rejects(
      withBackoff(
        async () => {
          refused += 1;
          throw Object.assign(new Error('denied'), { statusCode: 403 });
        },
        { attempts: 4, baseMs: 1, maxMs: 1, sleep: async () => undefined },
      ),
      /denied/,
    );
    assert.equal(refused, 1, 'an error that is not transient is not retried');
  });

  it('cuts secrets and credential-shaped text out of error messages', () => {
    const message = safeErrorMessage(
      new Error(
        'AccessDenied for ExternalId=ext-secret-0001 with Authorization: Bearer eyJhbGciOi.abc.def and X-Amz-Signature=abcdef0123 secret=hunter2',
      ),
      ['ext-secret-0001'],
    );
    assert.ok(!/ext-secret-0001|eyJhbGciOi|abcdef0123|hunter2/.test(message), message);
    assert.match(message, /AccessDenied/);
    assert.ok(safeErrorMessage(new Error('x'.repeat(2000)), []).length <= 500);
  });
});
