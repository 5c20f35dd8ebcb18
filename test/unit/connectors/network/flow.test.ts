import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IssueList } from '#src/connectors/common.js';
import { isPrivateAddress, matchFlow } from '#src/connectors/network/flow.js';
import { forEachDeliveredLine, textLines, type LogLine } from '#src/connectors/network/log-delivery.js';
import { PoolAddressList } from '#src/connectors/network/pool-addresses.js';

const none = new PoolAddressList();

describe('matchFlow', () => {
  it('ignores flows that touch no stratum port and no pool address', () => {
    assert.equal(matchFlow({ srcAddress: '10.0.0.5', srcPort: 40000, dstAddress: '198.51.100.7', dstPort: 443 }, null, none), null);
  });

  it('without a stated direction, takes the private side as ours', () => {
    const out = matchFlow({ srcAddress: '10.0.0.5', srcPort: 40000, dstAddress: '198.51.100.7', dstPort: 3333 }, null, none)!;
    assert.deepEqual([out.direction, out.remoteAddress, out.remotePort, out.mining], ['egress', '198.51.100.7', 3333, true]);
    const back = matchFlow({ srcAddress: '198.51.100.7', srcPort: 3333, dstAddress: '10.0.0.5', dstPort: 40000 }, null, none)!;
    assert.deepEqual([back.direction, back.remoteAddress, back.remotePort, back.mining], ['ingress', '198.51.100.7', 3333, true]);
    const probe = matchFlow({ srcAddress: '198.51.100.9', srcPort: 51000, dstAddress: '10.0.0.5', dstPort: 4444 }, null, none)!;
    assert.deepEqual([probe.direction, probe.stratumPort, probe.localStratumPort, probe.mining], ['ingress', false, true, false]);
  });

  it('between two private addresses, the stratum side is the remote one (a miner proxy inside the VPC)', () => {
    const out = matchFlow({ srcAddress: '10.0.0.5', srcPort: 40000, dstAddress: '10.0.0.9', dstPort: 3333 }, null, none)!;
    assert.deepEqual([out.direction, out.remoteAddress, out.mining], ['egress', '10.0.0.9', true]);
  });

  it('follows the direction the log states', () => {
    const out = matchFlow({ srcAddress: '198.51.100.7', srcPort: 3333, dstAddress: '203.0.113.5', dstPort: 40000 }, 'ingress', none)!;
    assert.deepEqual([out.localAddress, out.remoteAddress, out.mining], ['203.0.113.5', '198.51.100.7', true]);
  });

  it('matches pool addresses, IPv4-mapped ones included', () => {
    const pools = new PoolAddressList(['198.51.100.0/24', '2001:db8::1']);
    assert.equal(pools.has('::ffff:198.51.100.7'), true);
    assert.equal(pools.has('2001:0db8:0000:0000:0000:0000:0000:0001'), true);
    assert.equal(pools.has('203.0.113.1'), false);
    assert.equal(pools.has('not an address'), false);
    const out = matchFlow({ srcAddress: '10.0.0.5', srcPort: 40000, dstAddress: '198.51.100.7', dstPort: 443 }, 'egress', pools)!;
    assert.deepEqual([out.poolAddress, out.stratumPort, out.mining], [true, false, true]);
    assert.throws(() => new PoolAddressList(['300.1.2.3']), /not an IP address/);
  });

  it('knows private address space', () => {
    assert.deepEqual(['10.1.2.3', '172.31.0.1', '192.168.1.1', '100.64.0.1', 'fd00:ec2::254', '198.51.100.7', 'x'].map(isPrivateAddress), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('log delivery', () => {
  it('walks text lines with their numbers, CRLF included', () => {
    assert.deepEqual(
      [...textLines('a\r\nb\n\nc')],
      [
        { line: 'a', number: 0 },
        { line: 'b', number: 1 },
        { line: '', number: 2 },
        { line: 'c', number: 3 },
      ],
    );
    assert.deepEqual([...textLines('')], [{ line: '', number: 0 }]);
  });

  it('skips control messages and reads data messages', () => {
    const lines: LogLine[] = [];
    const issues = new IssueList();
    const control = {
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
    };
    assert.equal(
      forEachDeliveredLine(control, { index: null, pointer: '' }, issues, (l) => lines.push(l)),
      true,
    );
    assert.equal(
      forEachDeliveredLine({ srcaddr: '10.0.0.1' }, { index: null, pointer: '' }, issues, (l) => lines.push(l)),
      false,
    );
    assert.deepEqual([lines, issues.issues], [[], []]);
  });
});
