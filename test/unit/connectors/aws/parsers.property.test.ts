import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { awsParsers } from '#src/connectors/aws/index.js';
import { PayloadValidationError, SIGNAL_KINDS, type ParseContext } from '#src/connectors/signal.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };

/** Bodies shaped like each source's envelopes, with arbitrary contents, so parsing gets past the first check. */
const envelopes = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.record({ Findings: fc.array(fc.anything()) }),
  fc.record({ Anomalies: fc.array(fc.jsonValue()) }),
  fc.record({
    Records: fc.array(fc.dictionary(fc.constantFrom('eventID', 'eventTime', 'eventName', 'awsRegion', 'userIdentity'), fc.jsonValue())),
  }),
  fc.record({
    Events: fc.array(
      fc.record({
        CloudTrailEvent: fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
      }),
    ),
  }),
  fc.record({ Type: fc.constant('Notification'), Message: fc.jsonValue().map((v) => JSON.stringify(v)) }),
  fc.record({ 'detail-type': fc.string(), detail: fc.anything() }),
  fc.record({ accountId: fc.string(), region: fc.string(), MetricDataQueries: fc.anything(), MetricDataResults: fc.array(fc.anything()) }),
);

describe('AWS parsers on arbitrary input', () => {
  for (const [source, parser] of Object.entries(awsParsers)) {
    it(`${source} throws nothing but PayloadValidationError and returns well-formed signals`, () => {
      fc.assert(
        fc.property(envelopes, (body) => {
          try {
            const { signals, ignored } = parser(body, ctx);
            assert.ok(Number.isInteger(ignored) && ignored >= 0);
            for (const s of signals) {
              assert.equal(s.source, source);
              assert.ok(SIGNAL_KINDS.includes(s.kind));
              assert.ok(s.sourceId.length > 0 && s.accountId.length > 0);
              assert.ok(!Number.isNaN(Date.parse(s.observedAt)) && s.observedUntil >= s.observedAt);
            }
          } catch (error) {
            if (!(error instanceof PayloadValidationError)) throw error;
            assert.ok(error.issues.length > 0);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});
