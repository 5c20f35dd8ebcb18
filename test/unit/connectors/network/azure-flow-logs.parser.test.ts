import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createAzureFlowLogsParser, parseAzureFlowLogs } from '#src/connectors/network/azure-flow-logs.parser.js';
import { PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx = (query: Record<string, string | undefined> = {}): ParseContext => ({ receivedAt: new Date('2026-11-16T03:00:00Z'), query });
const fixture = (name: string) => readFixture<Record<string, any>>(`network/azure-flow-logs/${name}`);
const strip = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parseAzureFlowLogs(body, ctx());
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

const VNET =
  '/subscriptions/6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b/resourceGroups/rg-batch/providers/Microsoft.Network/virtualNetworks/vnet-batch';
const NSG =
  '/SUBSCRIPTIONS/6F1D2E3C-4B5A-4978-8A9B-0C1D2E3F4A5B/RESOURCEGROUPS/RG-BATCH/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/GPU-WORKER-01-NSG';

describe('parseAzureFlowLogs', () => {
  it('ignores every tuple of the documentation examples (NSG v1, NSG v2, virtual network)', () => {
    assert.deepEqual(parseAzureFlowLogs(fixture('nsg-v1-docs-example.json'), ctx()), { signals: [], ignored: 9 });
    assert.deepEqual(parseAzureFlowLogs(fixture('nsg-v2-docs-example.json'), ctx()), { signals: [], ignored: 7 });
    assert.deepEqual(parseAzureFlowLogs(fixture('vnet-docs-example.json'), ctx()), { signals: [], ignored: 19 });
  });

  it('turns virtual network flow tuples on stratum ports into signals', () => {
    const body = fixture('vnet-stratum.json');
    const { signals, ignored } = parseAzureFlowLogs(body, ctx());
    assert.equal(ignored, 1, 'the HTTPS flow');
    const vnet = {
      provider: 'azure',
      accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
      region: 'westeurope',
      type: 'azure.network.virtualnetworks',
      id: VNET,
    };
    assert.deepEqual(signals[1], {
      source: 'azure.flow-logs',
      sourceId: `${VNET.toLowerCase()}/6045BDA1C2D3/6/10.1.0.4:49822/198.51.100.23:3333/1794795180517/C`,
      sourceVersion: '2026-11-16T02:13:00.517Z',
      kind: 'network',
      provider: 'azure',
      accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
      // From the default Network Watcher name in the flow log's id (NetworkWatcher_westeurope).
      region: 'westeurope',
      observedAt: '2026-11-16T02:13:00.517Z',
      observedUntil: '2026-11-16T02:13:00.517Z',
      severity: 'HIGH',
      title: 'NIC 6045BDA1C2D3 connected to 198.51.100.23:3333 over TCP, a stratum port',
      mining: true,
      resources: [vnet],
      principal: null,
      cost: null,
      attributes: {
        remoteAddress: '198.51.100.23',
        remotePort: 3333,
        localAddress: '10.1.0.4',
        localPort: 49822,
        protocol: 6,
        bytes: 398112 + 1163907,
        packets: 1804 + 1771,
        action: 'ACCEPT',
        direction: 'egress',
        stratumPort: true,
        localStratumPort: false,
        poolAddress: false,
        techniques: ['T1496'],
        rule: 'DefaultRule_AllowInternetOutBound',
        macAddress: '6045BDA1C2D3',
        flowState: 'C',
        encryption: 'NX',
        aclId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
        bytesSent: 398112,
        bytesReceived: 1163907,
        flowLogVersion: 4,
      },
      raw: body['records'][0].flowRecords.flows[0].flowGroups[0].flowTuples[1],
    });
    assert.deepEqual(
      signals.map((s) => [s.attributes['flowState'], s.attributes['remotePort'], s.attributes['action'], s.severity, s.mining]),
      [
        ['B', 3333, 'ACCEPT', 'HIGH', true],
        ['C', 3333, 'ACCEPT', 'HIGH', true],
        // State D is a denied flow: the NSG blocked the miner's pool port.
        ['D', 14444, 'REJECT', 'LOW', true],
        // An inbound knock on port 5555 is context, not mining by this VM.
        ['D', 61000, 'REJECT', 'INFO', false],
      ],
    );
  });

  it('turns NSG version 2 tuples on stratum ports into signals about the NSG', () => {
    const { signals, ignored } = parseAzureFlowLogs(fixture('nsg-v2-stratum.json'), ctx({ region: 'westeurope' }));
    assert.equal(ignored, 1);
    assert.deepEqual(
      strip(signals).map((s) => [
        s.sourceId,
        s.observedAt,
        s.resources,
        s.attributes['bytes'],
        s.attributes['action'],
        s.attributes['direction'],
        s.severity,
      ]),
      [
        [
          `${NSG.toLowerCase()}/000D3A2B4C6D/6/10.2.0.5:50123/198.51.100.23:3333/1794795180/C`,
          '2026-11-16T02:13:00.000Z',
          [
            {
              provider: 'azure',
              accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
              region: 'westeurope',
              type: 'azure.network.networksecuritygroups',
              id: NSG,
            },
          ],
          48211 + 301822,
          'ACCEPT',
          'egress',
          'HIGH',
        ],
        [
          `${NSG.toLowerCase()}/000D3A2B4C6D/6/203.0.113.200:61022/10.2.0.5:4444/1794795190/B`,
          '2026-11-16T02:13:10.000Z',
          [
            {
              provider: 'azure',
              accountId: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
              region: 'westeurope',
              type: 'azure.network.networksecuritygroups',
              id: NSG,
            },
          ],
          // State B carries no counts.
          null,
          'REJECT',
          'ingress',
          'INFO',
        ],
      ],
    );
  });

  it('reads a bare array of records and one record alone', () => {
    const body = fixture('nsg-v2-stratum.json');
    const whole = strip(parseAzureFlowLogs(body, ctx()).signals);
    assert.deepEqual(strip(parseAzureFlowLogs(body['records'], ctx()).signals), whole);
    assert.deepEqual(strip(parseAzureFlowLogs(body['records'][0], ctx()).signals), whole);
  });

  it('matches remote addresses against a pool address list', () => {
    const parse = createAzureFlowLogsParser({ pools: new PoolAddressList(['52.239.184.180']) });
    const { signals, ignored } = parse(fixture('vnet-docs-example.json'), ctx());
    assert.equal(ignored, 17);
    assert.deepEqual(
      signals.map((s) => [
        s.attributes['remoteAddress'],
        s.attributes['poolAddress'],
        s.attributes['stratumPort'],
        s.attributes['flowState'],
      ]),
      [
        ['52.239.184.180', true, false, 'B'],
        ['52.239.184.180', true, false, 'E'],
      ],
    );
  });

  it('names every bad tuple and field by its pointer, and rejects the whole body', () => {
    assert.deepEqual(issuesOf(fixture('malformed.json')), [
      { index: 0, field: '/records/0/properties/flows/0/flows/0/flowTuples/0/protocol', message: 'must be T (TCP) or U (UDP), got "X"' },
      {
        index: 0,
        field: '/records/0/properties/flows/0/flows/0/flowTuples/1',
        message: 'has 8 comma-separated fields; an NSG flow log version 2 tuple has 13',
      },
      { index: 1, field: '/records/1/targetResourceID', message: 'is required' },
      {
        index: 1,
        field: '/records/1/flowRecords/flows/0/flowGroups/0/flowTuples/0/destinationPort',
        message: 'must be a port number (0–65535), got "70000"',
      },
      {
        index: 2,
        field: '/records/2/category',
        message:
          'must be "NetworkSecurityGroupFlowEvent" (NSG flow logs) or "FlowLogFlowEvent" (virtual network flow logs), got "NetworkSecurityGroupRuleCounter"',
      },
    ]);
    assert.deepEqual(issuesOf({ records: 'x' }), [{ index: null, field: '/records', message: 'must be an array, got string' }]);
  });
});
