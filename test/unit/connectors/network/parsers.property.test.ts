import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';

import { networkParsers } from '#src/connectors/network/index.js';
import { PayloadValidationError, SIGNAL_KINDS, type ParseContext, type Parser } from '#src/connectors/signal.js';
import { STRATUM_PORTS } from '#src/connectors/taxonomy.js';

const ctx: ParseContext = { receivedAt: new Date('2026-11-16T03:00:00Z'), query: {} };

const port = fc.oneof(fc.constantFrom(...STRATUM_PORTS), fc.integer({ min: 0, max: 65_535 }), fc.constantFrom('-', '70000', 'x'));
const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('-', '10.0.0', 'pool.supportxmr.com'));
const token = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer().map(String),
  address,
  port.map(String),
  fc.constantFrom('ACCEPT', 'REJECT', 'OK', 'NODATA', 'egress', 'version', 'srcaddr', 'dstport'),
);

/** Text lines that look like flow records (right field counts, plausible tokens) or like anything at all. */
const flowLine = fc.oneof(
  fc.string(),
  fc.array(token, { minLength: 14, maxLength: 14 }).map((t) => t.join(' ')),
  fc
    .tuple(
      fc.constant('2 111122223333 eni-0a1b'),
      address,
      address,
      port,
      port,
      fc.constantFrom('6', '17', 'x'),
      fc.nat().map(String),
      fc.nat().map(String),
      fc.constantFrom('1794795120', '-', '99999999999999'),
      fc.constantFrom('1794795180', '-'),
      fc.constantFrom('ACCEPT', 'REJECT', '-', 'ALLOW'),
      fc.constantFrom('OK', 'NODATA', 'SKIPDATA'),
    )
    .map((t) => t.join(' ')),
  fc
    .array(fc.constantFrom('version', 'account-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'flow-direction', 'start'), {
      minLength: 2,
      maxLength: 8,
    })
    .map((t) => t.join(' ')),
);

const base64 = (value: string | Buffer) => Buffer.from(value).toString('base64');
const cwlMessage = (messages: fc.Arbitrary<string>) =>
  fc.record({
    messageType: fc.constantFrom('DATA_MESSAGE', 'CONTROL_MESSAGE', 'OTHER'),
    owner: fc.oneof(fc.string(), fc.constant('111122223333')),
    logStream: fc.string(),
    logEvents: fc.array(
      fc.oneof(fc.record({ id: fc.string(), timestamp: fc.oneof(fc.integer(), fc.double()), message: messages }), fc.anything()),
      { maxLength: 5 },
    ),
  });

const resolverRecord = fc.dictionary(
  fc.constantFrom(
    'query_name',
    'query_timestamp',
    'account_id',
    'region',
    'answers',
    'srcids',
    'srcport',
    'firewall_rule_action',
    'query_type',
  ),
  fc.oneof(fc.jsonValue(), fc.constantFrom('pool.supportxmr.com.', '2026-11-16T02:11:58Z', 'BLOCK')),
);

const tuple = fc.oneof(
  fc.string(),
  fc
    .array(fc.oneof(token, fc.constantFrom('T', 'U', 'I', 'O', 'A', 'D', 'B', 'C', 'E', 'NX', '')), { minLength: 8, maxLength: 13 })
    .map((t) => t.join(',')),
  fc
    .tuple(
      fc.constantFrom('1794795120', '1794795120412', 'x'),
      address,
      address,
      port,
      port,
      fc.constantFrom('T', '6', 'X'),
      fc.constantFrom('I', 'O'),
      fc.constantFrom('A', 'D', 'B', 'C'),
    )
    .map((t) => t.join(',')),
);

const azureRecord = fc.oneof(
  fc.record({
    category: fc.constantFrom('NetworkSecurityGroupFlowEvent', undefined),
    resourceId: fc.oneof(fc.string(), fc.constant('/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n')),
    properties: fc.oneof(
      fc.anything(),
      fc.record({
        Version: fc.oneof(fc.constantFrom(1, 2), fc.jsonValue()),
        flows: fc.array(
          fc.record({
            rule: fc.jsonValue(),
            flows: fc.array(fc.record({ mac: fc.jsonValue(), flowTuples: fc.array(fc.oneof(tuple, fc.jsonValue()), { maxLength: 4 }) }), {
              maxLength: 2,
            }),
          }),
          { maxLength: 2 },
        ),
      }),
    ),
  }),
  fc.record({
    category: fc.constant('FlowLogFlowEvent'),
    targetResourceID: fc.oneof(fc.string(), fc.constant('/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v')),
    flowRecords: fc.oneof(
      fc.anything(),
      fc.record({
        flows: fc.array(
          fc.record({
            aclID: fc.jsonValue(),
            flowGroups: fc.array(
              fc.record({ rule: fc.jsonValue(), flowTuples: fc.array(fc.oneof(tuple, fc.jsonValue()), { maxLength: 4 }) }),
              { maxLength: 2 },
            ),
          }),
          { maxLength: 2 },
        ),
      }),
    ),
  }),
  fc.anything(),
);

const gcpEntry = fc.record({
  logName: fc.constantFrom('projects/p/logs/compute.googleapis.com%2Fvpc_flows', 'projects/p/logs/syslog', undefined),
  timestamp: fc.oneof(fc.constant('2026-11-16T02:13:20.601928117Z'), fc.jsonValue()),
  resource: fc.oneof(
    fc.anything(),
    fc.record({ labels: fc.dictionary(fc.constantFrom('project_id', 'location', 'subnetwork_name'), fc.jsonValue()) }),
  ),
  jsonPayload: fc.oneof(
    fc.anything(),
    fc.record({
      connection: fc.oneof(
        fc.anything(),
        fc.record({
          src_ip: fc.oneof(address, fc.jsonValue()),
          dest_ip: fc.oneof(address, fc.jsonValue()),
          src_port: fc.oneof(port, fc.jsonValue()),
          dest_port: fc.oneof(port, fc.jsonValue()),
          protocol: fc.jsonValue(),
        }),
      ),
      reporter: fc.constantFrom('SRC', 'DEST', 'X', undefined),
      src_instance: fc.oneof(
        fc.anything(),
        fc.record({ project_id: fc.string(), vm_name: fc.string(), zone: fc.constantFrom('us-central1-a', 'x') }),
      ),
      bytes_sent: fc.oneof(fc.nat().map(String), fc.jsonValue()),
      rtt_msec: fc.oneof(fc.nat().map(String), fc.jsonValue()),
      start_time: fc.oneof(fc.constant('2026-11-16T02:12:00.104922381Z'), fc.jsonValue()),
    }),
  ),
});

const bodies = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.string(),
  fc.array(flowLine).map((lines) => lines.join('\n')),
  fc.array(fc.oneof(flowLine, fc.jsonValue())),
  cwlMessage(
    fc.oneof(
      flowLine,
      resolverRecord.map((r) => JSON.stringify(r)),
      fc.string(),
    ),
  ),
  cwlMessage(flowLine).map((m) => ({ awslogs: { data: base64(gzipSync(JSON.stringify(m))) } })),
  fc
    .array(
      fc.oneof(
        cwlMessage(flowLine).map((m) => base64(gzipSync(JSON.stringify(m)))),
        fc.array(flowLine).map((l) => base64(l.join('\n'))),
        fc.string(),
        fc.jsonValue(),
      ),
      { maxLength: 3 },
    )
    .map((data) => ({ requestId: 'r', timestamp: 1, records: data.map((d) => ({ data: d })) })),
  fc.array(resolverRecord),
  fc.record({ records: fc.array(azureRecord, { maxLength: 3 }) }),
  fc.record({ entries: fc.array(gcpEntry, { maxLength: 3 }) }),
  gcpEntry.map((e) => ({ message: { data: base64(JSON.stringify(e)) }, subscription: 's' })),
);

function check(parser: Parser, source: string, body: unknown): void {
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
}

describe('network parsers on arbitrary input', () => {
  for (const [source, parser] of Object.entries(networkParsers)) {
    it(`${source} throws nothing but PayloadValidationError on arbitrary JSON and text lines`, () => {
      fc.assert(
        fc.property(bodies, (body) => check(parser, source, body)),
        { numRuns: 400 },
      );
    });
  }
});
