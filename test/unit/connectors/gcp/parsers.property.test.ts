import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { gcpParsers } from '#src/connectors/gcp/index.js';
import { PayloadValidationError, SIGNAL_KINDS, type ParseContext } from '#src/connectors/signal.js';

const ctx: ParseContext = { receivedAt: new Date('2025-01-01T00:00:00Z'), query: {} };

const base64Of = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64');

/** Bodies shaped like each source's envelopes with arbitrary contents, so parsing gets past the first check. */
const envelopes = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.record({ listFindingsResults: fc.array(fc.record({ finding: fc.anything(), resource: fc.anything() })) }),
  fc.record({
    finding: fc.dictionary(
      fc.constantFrom('name', 'category', 'eventTime', 'resourceName', 'indicator', 'access', 'mitreAttack', 'sourceProperties'),
      fc.jsonValue(),
    ),
    resource: fc.jsonValue(),
  }),
  fc.record({
    message: fc.record({ data: fc.oneof(fc.string(), fc.jsonValue().map(base64Of)), attributes: fc.anything() }),
    subscription: fc.string(),
  }),
  fc.record({
    entries: fc.array(
      fc.dictionary(fc.constantFrom('insertId', 'timestamp', 'logName', 'operation', 'protoPayload', 'resource'), fc.jsonValue()),
    ),
  }),
  fc.record({
    timeSeries: fc.array(fc.record({ metric: fc.anything(), resource: fc.anything(), points: fc.anything(), unit: fc.anything() })),
  }),
  fc.record({ kind: fc.constant('bigquery#queryResponse'), schema: fc.anything(), rows: fc.array(fc.anything()) }),
  fc.record({
    anomalies: fc.array(
      fc.record({ name: fc.string(), detectionTime: fc.anything(), deviation: fc.anything(), rootCauses: fc.anything() }),
    ),
  }),
  fc.array(
    fc.dictionary(
      fc.constantFrom('service', 'sku', 'usage_start_time', 'project', 'cost', 'currency', 'credits', 'resource', 'location'),
      fc.jsonValue(),
    ),
  ),
);

describe('GCP parsers on arbitrary input', () => {
  for (const [source, parser] of Object.entries(gcpParsers)) {
    it(`${source} throws nothing but PayloadValidationError and returns well-formed signals`, () => {
      fc.assert(
        fc.property(envelopes, (body) => {
          try {
            const { signals, ignored, costRows } = parser(body, ctx);
            assert.ok(Number.isInteger(ignored) && ignored >= 0);
            for (const s of signals) {
              assert.equal(s.source, source);
              assert.equal(s.provider, 'gcp');
              assert.ok(SIGNAL_KINDS.includes(s.kind));
              assert.ok(s.sourceId.length > 0 && s.accountId.length > 0);
              assert.ok(!Number.isNaN(Date.parse(s.observedAt)) && s.observedUntil >= s.observedAt);
            }
            for (const row of costRows ?? []) {
              assert.ok(Number.isFinite(row.amount) && /^\d{4}-\d{2}-\d{2}$/.test(row.day) && row.accountId.length > 0);
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
