import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseMonitoring } from '#src/connectors/gcp/monitoring.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2025-01-01T00:00:00Z'), query: {} };
// Fixtures are arbitrary cloud JSON that the tests reach into and mutate; typing every shape would add nothing.

type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`gcp/monitoring/${name}`);
/** NDJSON reaches a parser as the array of its lines. */
const ndjson = (name: string): Json[] =>
  readFixtureText(`gcp/monitoring/${name}`)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
const parse = (body: unknown) => parseMonitoring(body, ctx);
const byMetricAndInstance = (signals: Signal[]) =>
  Object.fromEntries(signals.map((s) => [`${String(s.attributes['metric'])} ${String(s.attributes['instanceName'])}`, s]));

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseMonitoring', () => {
  it('summarizes a timeSeries.list response per VM and metric, in percent', () => {
    const response = fixture('timeseries-list-cpu-gpu-high.json');
    const { signals, ignored } = parse(response);
    assert.equal(ignored, 5, 'the five network points are not a tracked metric');
    const s = byMetricAndInstance(signals);
    assert.deepEqual(Object.keys(s).sort(), [
      'cpu_utilization train-a100-01',
      'cpu_utilization web-frontend-1',
      'gpu_utilization train-a100-01',
    ]);

    assert.deepEqual(s['cpu_utilization train-a100-01'], {
      source: 'gcp.monitoring',
      sourceId: 'acme-ml-training/us-central1-a/train-a100-01/cpu_utilization/2024-06-13T00:00:00.000Z',
      sourceVersion: '2024-06-13T00:05:00.000Z#000000005',
      kind: 'utilization',
      provider: 'gcp',
      accountId: 'acme-ml-training',
      region: 'us-central1',
      observedAt: '2024-06-13T00:00:00.000Z',
      observedUntil: '2024-06-13T00:05:00.000Z',
      severity: 'MEDIUM',
      title: 'CPU utilization of train-a100-01 averaged 98.6% (max 99.47%) over 5 min',
      mining: false,
      resources: [
        {
          provider: 'gcp',
          accountId: 'acme-ml-training',
          region: 'us-central1',
          type: 'gcp.compute.instance',
          id: '//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-a/instances/train-a100-01',
          instanceType: 'a2-highgpu-8g',
        },
      ],
      principal: null,
      cost: null,
      attributes: {
        metric: 'cpu_utilization',
        metricType: 'compute.googleapis.com/instance/cpu/utilization',
        average: 98.6,
        maximum: 99.47,
        minimum: 97.12,
        sampleCount: 5,
        periodSeconds: 60,
        windowSeconds: 300,
        sustainedHigh: true,
        unit: '10^2.%',
        instanceId: '6837514009281146213',
        instanceName: 'train-a100-01',
        instanceType: 'a2-highgpu-8g',
        instanceFamily: 'a2',
        gpuInstance: true,
        gpuCount: null,
        gpuModels: [],
      },
      raw: response['timeSeries'][0],
    });

    // The agent's GPU metric is already percent; two GPUs of one VM make one window.
    const gpu = s['gpu_utilization train-a100-01']!;
    assert.deepEqual(
      [
        gpu.attributes['average'],
        gpu.attributes['maximum'],
        gpu.attributes['sampleCount'],
        gpu.attributes['gpuCount'],
        gpu.attributes['gpuModels'],
        gpu.attributes['unit'],
      ],
      [99.6, 100, 10, 2, ['NVIDIA A100-SXM4-40GB'], '%'],
    );
    assert.equal(gpu.resources[0]!.id, s['cpu_utilization train-a100-01']!.resources[0]!.id, 'named from the resource metadata');
    assert.deepEqual(gpu.raw, [response['timeSeries'][1], response['timeSeries'][2]]);

    const quiet = s['cpu_utilization web-frontend-1']!;
    assert.deepEqual([quiet.severity, quiet.attributes['average'], quiet.attributes['sustainedHigh']], ['INFO', 5.36, false]);
  });

  it('joins the pages of an aligned query sent as NDJSON, skipping a NaN point', () => {
    const { signals, ignored } = parse(ndjson('timeseries-list-aligned-pages.ndjson'));
    assert.equal(ignored, 1, 'the NaN point');
    assert.equal(signals.length, 1);
    const [s] = signals;
    assert.deepEqual(
      [
        s!.observedAt,
        s!.observedUntil,
        s!.attributes['periodSeconds'],
        s!.attributes['sampleCount'],
        s!.attributes['average'],
        s!.attributes['maximum'],
      ],
      ['2024-06-13T00:05:00.000Z', '2024-06-13T00:30:00.000Z', 300, 5, 35.2, 42],
    );
    assert.equal(s!.resources[0]!.id, '//compute.googleapis.com/projects/acme-web/zones/europe-west1-d/instances/etl-worker-3');
    assert.equal(s!.region, 'europe-west1');
  });

  it('reads a bare TimeSeries and an array of them; more points of the same window compare greater', () => {
    const response = fixture('timeseries-list-cpu-gpu-high.json');
    const cpu = response['timeSeries'][0];
    const [one] = parse(cpu).signals;
    const fewer = { ...cpu, points: cpu.points.slice(1) };
    const [earlier] = parse([fewer]).signals;
    assert.equal(one!.sourceId, parse(response).signals[0]!.sourceId);
    assert.equal(earlier!.sourceId, one!.sourceId, 'same window start');
    assert.ok(one!.sourceVersion > earlier!.sourceVersion);
  });

  it('names a GPU series without a name after the CPU series of the same VM, else by its numeric id', () => {
    const response = fixture('timeseries-list-cpu-gpu-high.json');
    const [cpu, gpu] = response['timeSeries'];
    delete gpu.metadata;
    const named = parse([gpu, cpu]).signals.find((s) => s.attributes['metric'] === 'gpu_utilization')!;
    assert.equal(named.resources[0]!.id, '//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-a/instances/train-a100-01');
    const [alone] = parse([gpu]).signals;
    assert.equal(
      alone!.resources[0]!.id,
      '//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-a/instances/6837514009281146213',
    );
    assert.equal(alone!.attributes['instanceName'], null);
  });

  it('names every bad series and point by index and pointer', () => {
    assert.deepEqual(issuesOf(fixture('timeseries-list-malformed.json')), [
      {
        index: 0,
        field: '/timeSeries/0/points/2/interval/endTime',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 1, field: '/timeSeries/1/points/0/value/doubleValue', message: 'must be a number' },
      { index: 1, field: '/timeSeries/1/resource/labels/zone', message: 'is required for a gce_instance series' },
    ]);
  });

  it('rejects units it cannot turn into percent and bodies that are no time series', () => {
    const cpu = { ...fixture('timeseries-list-cpu-gpu-high.json')['timeSeries'][0], unit: 'ms' };
    assert.deepEqual(issuesOf({ timeSeries: [cpu] }), [
      {
        index: 0,
        field: '/timeSeries/0/unit',
        message: 'unsupported unit "ms" for compute.googleapis.com/instance/cpu/utilization; expected "10^2.%", "1" or "%"',
      },
    ]);
    assert.deepEqual(issuesOf({ timeSeries: 'none' }), [{ index: null, field: '/timeSeries', message: 'must be an array, got string' }]);
    assert.deepEqual(issuesOf([null]), [{ index: 0, field: '/0', message: 'a TimeSeries must be a JSON object' }]);
    assert.deepEqual(parse({ timeSeries: [], unit: '' }), { signals: [], ignored: 0 });
  });
});
