import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseMonitor } from '#src/connectors/azure/monitor.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const SUBSCRIPTION = '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b';
const VM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-training-rg/providers/Microsoft.Compute/virtualMachines/gpu-worker-01`;
const fixture = (name: string) => readFixture<Json>(`azure/monitor/${name}`);
const parse = (body: unknown) => parseMonitor(body, ctx);
const strip = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseMonitor', () => {
  it('summarizes a VM Percentage CPU series into one utilization signal and ignores other metrics', () => {
    const response = fixture('metrics-vm-percentage-cpu-high.json');
    const { signals, ignored } = parse(response);
    assert.equal(ignored, 12, 'the Network In Total datapoints');
    assert.deepEqual(signals, [
      {
        source: 'azure.monitor',
        sourceId: `${VM.toLowerCase()}/cpu_utilization/2024-03-11T22:00:00.000Z`,
        sourceVersion: '2024-03-11T23:00:00.000Z#000000012',
        kind: 'utilization',
        provider: 'azure',
        accountId: SUBSCRIPTION,
        region: 'eastus',
        observedAt: '2024-03-11T22:00:00.000Z',
        observedUntil: '2024-03-11T23:00:00.000Z',
        severity: 'MEDIUM',
        title: 'CPU utilization of gpu-worker-01 averaged 99.13% (max 100%) over 60 min',
        mining: false,
        resources: [{ provider: 'azure', accountId: SUBSCRIPTION, region: 'eastus', type: 'azure.compute.vm', id: VM }],
        principal: null,
        cost: null,
        attributes: {
          metric: 'cpu_utilization',
          metricName: 'Percentage CPU',
          namespace: 'Microsoft.Compute/virtualMachines',
          unit: 'Percent',
          average: 99.13,
          maximum: 100,
          minimum: 96.9,
          sampleCount: 12,
          periodSeconds: 300,
          windowSeconds: 3600,
          sustainedHigh: true,
          dimensions: {},
        },
        raw: response['value'][0],
      },
    ]);
  });

  it('gives one signal per scale-set instance queried by VMName, skipping empty grains', () => {
    const { signals, ignored } = parse(fixture('metrics-vmss-percentage-cpu-by-instance.json'));
    assert.equal(ignored, 1, 'the trailing grain without data');
    const scaleSet = `/subscriptions/${SUBSCRIPTION}/resourceGroups/MC_aks-prod-rg_aks-prod-01_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-27354651-vmss`;
    assert.deepEqual(
      signals.map((s) => [s.sourceId, s.title, s.attributes['sustainedHigh'], s.attributes['periodSeconds'], s.observedUntil, s.severity]),
      [
        [
          `${scaleSet.toLowerCase()}/cpu_utilization/vmname=aks-nodepool1-27354651-vmss000003/2024-03-12T03:00:00.000Z`,
          'CPU utilization of aks-nodepool1-27354651-vmss (vmname=aks-nodepool1-27354651-vmss000003) averaged 98.83% (max 100%) over 60 min',
          true,
          600,
          '2024-03-12T04:00:00.000Z',
          'MEDIUM',
        ],
        [
          `${scaleSet.toLowerCase()}/cpu_utilization/vmname=aks-nodepool1-27354651-vmss000004/2024-03-12T03:00:00.000Z`,
          'CPU utilization of aks-nodepool1-27354651-vmss (vmname=aks-nodepool1-27354651-vmss000004) averaged 6.32% (max 9.2%) over 60 min',
          false,
          600,
          '2024-03-12T04:00:00.000Z',
          'INFO',
        ],
      ],
    );
    assert.deepEqual(signals[0]!.resources, [
      { provider: 'azure', accountId: SUBSCRIPTION, region: 'westeurope', type: 'azure.compute.vmss', id: scaleSet },
    ]);
    assert.deepEqual(signals[0]!.attributes['dimensions'], { vmname: 'aks-nodepool1-27354651-vmss000003' });
  });

  it('reads subscription-scope responses, which name each series resource in microsoft.resourceid', () => {
    const { signals, ignored } = parse(fixture('metrics-subscription-scope-cpu-quiet.json'));
    assert.equal(ignored, 0);
    assert.deepEqual(
      signals.map((s) => [s.resources[0]!.id.split('/').at(-1), s.attributes['average'], s.attributes['sustainedHigh'], s.observedUntil]),
      [
        ['web-01', 12.85, false, '2024-03-12T00:00:00.000Z'],
        ['web-02', 3.25, false, '2024-03-12T00:00:00.000Z'],
        ['batch-07', 41.1, false, '2024-03-12T00:00:00.000Z'],
      ],
    );
    assert.deepEqual(signals[0]!.attributes['dimensions'], {}, 'the resource id is not a dimension');
  });

  it('ignores the spec example of other metrics, failed ones included', () => {
    assert.deepEqual(parse(fixture('metrics-cosmosdb-error-example-2023-10-01.json')), { signals: [], ignored: 2 });
  });

  it('merges responses sent together, and a later delivery of the same window compares greater', () => {
    const response = fixture('metrics-vm-percentage-cpu-high.json');
    const data = response['value'][0]['timeseries'][0]['data'] as Json[];
    const early = structuredClone(response);
    early['value'][0]['timeseries'][0]['data'] = data.slice(0, 6);
    const late = structuredClone(response);
    late['value'][0]['timeseries'][0]['data'] = data.slice(6);
    const [first] = parse(early).signals;
    const [all] = parse(response).signals;
    assert.equal(first!.sourceId, all!.sourceId);
    assert.ok(all!.sourceVersion > first!.sourceVersion);
    assert.deepEqual(strip(parse([early, late]).signals), strip([all!]));
  });

  it('tracks GPU metrics and infers the grain from the datapoints when the response has no interval', () => {
    const response = fixture('metrics-vm-percentage-cpu-high.json');
    delete response['interval'];
    response['value'][0]['name'] = { value: 'GpuUtilization', localizedValue: 'GpuUtilization' };
    const [signal] = parse(response).signals;
    assert.equal(signal!.attributes['metric'], 'gpu_utilization');
    assert.equal(signal!.attributes['periodSeconds'], 300);
    assert.match(signal!.title, /^GPU utilization of gpu-worker-01/);
  });

  it('names every bad metric and field of a malformed response', () => {
    assert.deepEqual(issuesOf(fixture('metrics-malformed.json')), [
      {
        index: 0,
        field: '/value/0/timeseries/0/data/1/timeStamp',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 0, field: '/value/0/timeseries/0/data/2/average', message: 'must be a number, got string' },
      { index: 1, field: '/value/1/name', message: 'is required' },
    ]);
  });

  it('names the response in an array of responses, and a series without a resource', () => {
    const response = fixture('metrics-subscription-scope-cpu-quiet.json');
    response['value'][0]['timeseries'][1]['metadatavalues'] = [];
    assert.deepEqual(
      issuesOf([fixture('metrics-vm-percentage-cpu-high.json'), response]).map((i) => [i.index, i.field]),
      [[1, '/1/value/0/timeseries/1/metadatavalues']],
    );
    assert.deepEqual(issuesOf({ cost: 1 }), [{ index: null, field: '/value', message: 'is required: the list of metrics' }]);
    assert.deepEqual(issuesOf('metrics'), [
      { index: null, field: '', message: 'expected a metrics list response (a JSON object or an array of them), got string' },
    ]);
    assert.deepEqual(issuesOf([7]), [{ index: 0, field: '/0', message: 'a metrics response must be a JSON object, got number' }]);
  });
});
