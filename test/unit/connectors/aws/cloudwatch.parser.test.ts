import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseCloudWatch } from '#src/connectors/aws/cloudwatch.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

/** NDJSON reaches a parser as the array of its lines. */
const ndjson = (name: string): Json[] =>
  readFixtureText(`aws/cloudwatch/${name}`)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
const parse = (body: unknown) => parseCloudWatch(body, ctx);
const byMetricAndInstance = (signals: Signal[]) =>
  Object.fromEntries(signals.map((s) => [`${String(s.attributes['metric'])} ${s.resources[0]!.id}`, s]));

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseCloudWatch', () => {
  it('summarizes Metric Streams records per instance and metric', () => {
    const lines = ndjson('metric-stream-cpu-gpu-high.ndjson');
    const { signals, ignored } = parse(lines);
    assert.equal(ignored, 1, 'the Auto Scaling group aggregate names no instance');
    const s = byMetricAndInstance(signals);
    assert.deepEqual(Object.keys(s).sort(), [
      'cpu_utilization i-0a1b2c3d4e5f60001',
      'cpu_utilization i-0fedcba9876543210',
      'gpu_utilization i-0a1b2c3d4e5f60001',
    ]);

    const cpu = s['cpu_utilization i-0a1b2c3d4e5f60001']!;
    assert.deepEqual(
      { ...cpu, raw: undefined },
      {
        source: 'aws.cloudwatch',
        sourceId: '111122223333/us-east-1/i-0a1b2c3d4e5f60001/cpu_utilization/2024-03-11T22:20:00.000Z',
        sourceVersion: '2024-03-11T22:25:00.000Z#000000005',
        kind: 'utilization',
        provider: 'aws',
        accountId: '111122223333',
        region: 'us-east-1',
        observedAt: '2024-03-11T22:20:00.000Z',
        observedUntil: '2024-03-11T22:25:00.000Z',
        severity: 'MEDIUM',
        title: 'CPU utilization of i-0a1b2c3d4e5f60001 averaged 98.66% (max 100%) over 5 min',
        mining: false,
        resources: [
          {
            provider: 'aws',
            accountId: '111122223333',
            region: 'us-east-1',
            type: 'aws.ec2.instance',
            id: 'i-0a1b2c3d4e5f60001',
            // Named by the GPU datapoints of the same instance.
            instanceType: 'p3.16xlarge',
          },
        ],
        principal: null,
        cost: null,
        attributes: {
          metric: 'cpu_utilization',
          metricName: 'CPUUtilization',
          namespace: 'AWS/EC2',
          average: 98.66,
          maximum: 100,
          minimum: 95.6,
          sampleCount: 5,
          periodSeconds: 60,
          windowSeconds: 300,
          sustainedHigh: true,
          stat: null,
          statusCode: null,
          unit: 'Percent',
          metricStream: 'minewatch',
          instanceType: 'p3.16xlarge',
          instanceFamily: 'p3',
          gpuInstance: true,
        },
        raw: undefined,
      },
    );
    assert.deepEqual(cpu.raw, lines.slice(0, 5));

    const gpu = s['gpu_utilization i-0a1b2c3d4e5f60001']!;
    assert.deepEqual(
      [gpu.attributes['average'], gpu.attributes['maximum'], gpu.attributes['sampleCount'], gpu.attributes['sustainedHigh']],
      [99, 100, 60, true],
    );
    assert.equal(gpu.attributes['metricName'], 'nvidia_smi_utilization_gpu');

    const quiet = s['cpu_utilization i-0fedcba9876543210']!;
    assert.deepEqual([quiet.attributes['average'], quiet.attributes['sustainedHigh'], quiet.severity], [4.4, false, 'INFO']);
  });

  it('a later delivery with more datapoints for the same window compares greater', () => {
    const cpuLines = ndjson('metric-stream-cpu-gpu-high.ndjson').slice(0, 5);
    const [first] = parse(cpuLines.slice(0, 3)).signals;
    const [more] = parse(cpuLines).signals;
    assert.equal(first!.sourceId, more!.sourceId);
    assert.ok(more!.sourceVersion > first!.sourceVersion);
  });

  it('ignores metrics it does not track, such as the documentation example', () => {
    assert.deepEqual(parse(ndjson('metric-stream-docs-example.ndjson')), { signals: [], ignored: 1 });
    assert.deepEqual(parse(ndjson('metric-stream-docs-example.ndjson')[0]), { signals: [], ignored: 1 });
  });

  it('reads GetMetricData results with the queries that produced them', () => {
    const { signals, ignored } = parse(readFixture('aws/cloudwatch/get-metric-data-cpu-with-queries.json'));
    assert.equal(ignored, 2, 'the NetworkOut series is not tracked');
    assert.deepEqual(
      signals.map((s) => [
        s.sourceId,
        s.observedAt,
        s.observedUntil,
        s.attributes['average'],
        s.attributes['maximum'],
        s.attributes['sustainedHigh'],
        s.attributes['periodSeconds'],
        s.attributes['stat'],
      ]),
      [
        [
          '111122223333/eu-west-1/i-0c0ffee0c0ffee001/cpu_utilization/2024-03-12T09:00:00.000Z',
          '2024-03-12T09:00:00.000Z',
          '2024-03-12T09:20:00.000Z',
          99.38,
          99.83,
          true,
          300,
          'Average',
        ],
        [
          '111122223333/eu-west-1/i-0deadbeef0000002/cpu_utilization/2024-03-12T09:00:00.000Z',
          '2024-03-12T09:00:00.000Z',
          '2024-03-12T09:20:00.000Z',
          14.38,
          18.9,
          false,
          300,
          'Average',
        ],
      ],
    );
  });

  it('gives the same signals for camelCase GetMetricData and epoch-second timestamps', () => {
    const pascal = readFixture<Json>('aws/cloudwatch/get-metric-data-cpu-with-queries.json');
    const camelCase = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(camelCase)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), camelCase(v)]))
          : value;
    const camel = camelCase(pascal) as Json;
    for (const result of camel['metricDataResults']) {
      result.timestamps = result.timestamps.map((t: string) => Date.parse(t) / 1000);
    }
    const strip = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);
    assert.deepEqual(strip(parse(camel).signals), strip(parse(pascal).signals));
  });

  it('needs the queries, and as many values as timestamps', () => {
    const body = readFixture<Json>('aws/cloudwatch/get-metric-data-cpu-with-queries.json');
    const { MetricDataQueries: _queries, ...withoutQueries } = body;
    assert.deepEqual(issuesOf(withoutQueries), [
      { index: 0, field: '/MetricDataQueries', message: 'is required: the queries that produced the results' },
    ]);
    body['MetricDataResults'][1]['Values'].pop();
    body['MetricDataResults'][2]['Id'] = 'unknown';
    assert.deepEqual(
      issuesOf(body).map((i) => [i.field, i.message]),
      [
        ['/MetricDataResults/1/Values', 'must have as many entries as Timestamps'],
        ['/MetricDataResults/2/Id', 'no MetricDataQueries entry has Id "unknown"'],
      ],
    );
  });

  it('names every bad line and field of malformed Metric Streams records, and rejects them all', () => {
    assert.deepEqual(issuesOf(ndjson('metric-stream-malformed.ndjson')), [
      { index: 1, field: '/1/timestamp', message: 'must be a number, got string' },
      { index: 2, field: '/2/value', message: 'is required' },
    ]);
  });
});
