import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { azureParsers } from '#src/connectors/azure/index.js';
import { PayloadValidationError, SIGNAL_KINDS, type ParseContext, type Parser } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };

const armId = fc
  .tuple(
    fc.constantFrom('', '/'),
    fc.constantFrom('subscriptions', 'SUBSCRIPTIONS', 'providers'),
    fc.string(),
    fc.array(fc.string(), { maxLength: 6 }),
  )
  .map(([lead, head, sub, rest]) => `${lead}${head}/${sub}/${rest.join('/')}`);
const dateLike = fc.oneof(
  fc.string(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer(),
  fc.constant('2024-03-11T22:00:00Z'),
);

/** Bodies shaped like each source's envelopes, with arbitrary contents, so parsing gets past the first check. */
const envelopes = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.string(),
  // azure.defender
  fc.record({
    value: fc.array(
      fc.record({
        id: armId,
        type: fc.constant('Microsoft.Security/Locations/alerts'),
        properties: fc.dictionary(
          fc.constantFrom(
            'alertType',
            'severity',
            'startTimeUtc',
            'endTimeUtc',
            'resourceIdentifiers',
            'entities',
            'extendedProperties',
            'status',
            'alertUri',
            'systemAlertId',
          ),
          fc.jsonValue(),
        ),
      }),
    ),
  }),
  fc.record({
    AlertType: fc.string(),
    Severity: fc.constantFrom('High', 'Low', 'x'),
    StartTimeUtc: dateLike,
    SystemAlertId: fc.string(),
    AzureResourceId: armId,
    Entities: fc.jsonValue(),
    ExtendedProperties: fc.jsonValue(),
  }),
  fc.record({
    AlertType: fc.string(),
    AlertSeverity: fc.string(),
    StartTime: dateLike,
    ResourceId: armId,
    Entities: fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    ),
  }),
  fc.record({ eventType: fc.string(), eventTime: dateLike, dataVersion: fc.string(), data: fc.anything() }),
  fc.record({ specversion: fc.constant('1.0'), type: fc.string(), time: dateLike, data: fc.anything() }),
  // azure.cost
  fc.record({
    properties: fc.record({
      columns: fc.array(
        fc.record({
          name: fc.constantFrom(
            'PreTaxCost',
            'Cost',
            'CostUSD',
            'UsageDate',
            'BillingMonth',
            'Currency',
            'ResourceId',
            'SubscriptionId',
            'ResourceLocation',
            'ServiceName',
          ),
          type: fc.string(),
        }),
      ),
      rows: fc.array(fc.array(fc.jsonValue())),
    }),
  }),
  fc.array(
    fc.dictionary(
      fc.constantFrom(
        'SubscriptionId',
        'Date',
        'Cost',
        'CostInBillingCurrency',
        'BillingCurrency',
        'ResourceId',
        'AdditionalInfo',
        'properties',
      ),
      fc.oneof(fc.string(), fc.double(), armId, dateLike),
    ),
  ),
  fc
    .array(fc.array(fc.oneof(fc.string(), fc.constantFrom('SubscriptionId', 'Date', 'Cost', 'BillingCurrency', '"', ',', '\n'))))
    .map((rows) => rows.map((r) => r.join(',')).join('\n')),
  // azure.monitor
  fc.record({
    interval: fc.string(),
    resourceregion: fc.string(),
    value: fc.array(
      fc.record({
        id: armId,
        name: fc.record({ value: fc.constantFrom('Percentage CPU', 'GpuUtilization', 'Other') }),
        timeseries: fc.array(
          fc.record({
            metadatavalues: fc.array(
              fc.record({
                name: fc.record({ value: fc.constantFrom('microsoft.resourceid', 'vmname') }),
                value: fc.oneof(armId, fc.string()),
              }),
            ),
            data: fc.array(fc.record({ timeStamp: dateLike, average: fc.oneof(fc.double(), fc.constant(null)), maximum: fc.double() })),
          }),
        ),
      }),
    ),
  }),
  // azure.activity-log
  fc.record({
    records: fc.array(
      fc.dictionary(
        fc.constantFrom('time', 'resourceId', 'operationName', 'category', 'resultType', 'correlationId', 'identity', 'properties'),
        fc.oneof(fc.jsonValue(), armId, dateLike),
      ),
    ),
  }),
  fc.record({
    value: fc.array(
      fc.record({
        correlationId: fc.string(),
        eventTimestamp: dateLike,
        operationName: fc.record({ value: fc.string() }),
        status: fc.record({ value: fc.string() }),
        resourceId: armId,
        properties: fc.dictionary(
          fc.constantFrom('requestbody', 'responseBody', 'statusMessage'),
          fc.oneof(
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
        ),
      }),
    ),
  }),
);

/** Every path to a value inside a JSON document: `[]`, `['value', 0]`, `['value', 0, 'properties'] …`. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  return [prefix, ...children.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

function replaced(document: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path.at(-1)!] = replacement;
  return copy;
}

const FIXTURES: Record<string, string[]> = {
  'azure.defender': [
    'defender/alerts-list-aks-mining.json',
    'defender/continuous-export-vm-digital-currency-mining.json',
    'defender/securityalert-rows-appservice-mining.json',
    'defender/eventgrid-vm-digital-currency-mining.json',
  ],
  'azure.cost': ['cost/query-subscription-daily-gpu-spike.json', 'cost/mca-cost-details-rows.json'],
  'azure.monitor': ['monitor/metrics-vm-percentage-cpu-high.json', 'monitor/metrics-subscription-scope-cpu-quiet.json'],
  'azure.activity-log': [
    'activity-log/records-leaked-sp-gpu-and-miner.json',
    'activity-log/rest-list-gpu-vm-write.json',
    'activity-log/eventgrid-resource-write-success-gpu-vm.json',
  ],
};

function onlyValidationErrors(parser: Parser, body: unknown): void {
  try {
    parser(body, ctx);
  } catch (error) {
    if (!(error instanceof PayloadValidationError)) throw error;
    assert.ok(error.issues.length > 0);
  }
}

describe('Azure parsers on real payloads with one value replaced', () => {
  for (const [source, names] of Object.entries(FIXTURES)) {
    const parser = azureParsers[source]!;
    const documents = names.map((name) => readFixture<unknown>(`azure/${name}`));
    const cases = fc
      .constantFrom(...documents)
      .chain((document) =>
        fc.tuple(
          fc.constant(document),
          fc.constantFrom(...pathsOf(document)),
          fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined)),
        ),
      );
    it(`${source} throws nothing but PayloadValidationError`, () => {
      fc.assert(
        fc.property(cases, ([document, path, replacement]) => onlyValidationErrors(parser, replaced(document, path, replacement))),
        { numRuns: 300 },
      );
    });
  }
});

describe('Azure parsers on arbitrary input', () => {
  for (const [source, parser] of Object.entries(azureParsers)) {
    it(`${source} throws nothing but PayloadValidationError and returns well-formed signals and cost rows`, () => {
      fc.assert(
        fc.property(envelopes, fc.option(fc.string(), { nil: undefined }), (body, subscriptionId) => {
          try {
            const { signals, ignored, costRows } = parser(body, { ...ctx, query: { subscriptionId } });
            assert.ok(Number.isInteger(ignored) && ignored >= 0);
            for (const s of signals) {
              assert.equal(s.source, source);
              assert.equal(s.provider, 'azure');
              assert.ok(SIGNAL_KINDS.includes(s.kind));
              assert.ok(s.sourceId.length > 0 && s.accountId.length > 0);
              assert.ok(!Number.isNaN(Date.parse(s.observedAt)) && s.observedUntil >= s.observedAt);
            }
            for (const row of costRows ?? []) {
              assert.match(row.day, /^\d{4}-\d{2}-\d{2}$/);
              assert.ok(Number.isFinite(row.amount) && /^[A-Z]{3}$/.test(row.currency) && row.accountId.length > 0);
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
