import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseCloudTrail } from '#src/connectors/aws/cloudtrail.parser.js';
import { PayloadValidationError, type ParseContext, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`aws/cloudtrail/${name}`);
const parse = (body: unknown) => parseCloudTrail(body, ctx);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseCloudTrail', () => {
  it('reads the StartInstances log file example of the CloudTrail User Guide', () => {
    const file = fixture('log-file-startinstances-docs-example.json');
    const { signals, ignored } = parse(file);
    assert.equal(ignored, 0);
    assert.deepEqual(signals, [
      {
        source: 'aws.cloudtrail',
        sourceId: 'e755e09c-42f9-4c5c-9064-EXAMPLE228c7',
        sourceVersion: '2023-07-19T21:17:28.000Z',
        kind: 'provisioning',
        provider: 'aws',
        accountId: '123456789012',
        region: 'us-east-1',
        observedAt: '2023-07-19T21:17:28.000Z',
        observedUntil: '2023-07-19T21:17:28.000Z',
        severity: 'LOW',
        title: 'StartInstances by Mateo',
        mining: false,
        resources: [
          { provider: 'aws', accountId: '123456789012', region: 'us-east-1', type: 'aws.ec2.instance', id: 'i-EXAMPLEaff4840c22' },
          { provider: 'aws', accountId: '123456789012', region: 'us-east-1', type: 'aws.ec2.instance', id: 'i-EXAMPLE56126103cb' },
        ],
        principal: {
          identity: 'arn:aws:iam::123456789012:user/Mateo',
          name: 'Mateo',
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          sourceIp: '192.0.2.0',
          userAgent:
            'aws-cli/2.13.5 Python/3.11.4 Linux/4.14.255-314-253.539.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/ec2.start-instances',
        },
        cost: null,
        attributes: {
          eventName: 'StartInstances',
          eventSource: 'ec2.amazonaws.com',
          instanceType: null,
          instanceTypes: [],
          instanceFamily: null,
          gpuInstance: false,
          instanceCount: 2,
          errorCode: null,
          errorMessage: null,
          costIncurring: true,
          spot: false,
          readOnly: false,
          userIdentityType: 'IAMUser',
          tags: [],
        },
        raw: file['Records'][0],
      },
    ]);
  });

  it('reads a leaked-key log file: new key, GPU launch, refused launch', () => {
    const [key, run, refused] = parse(fixture('log-file-leaked-key-gpu-runinstances.json')).signals;

    assert.equal(key!.attributes['eventName'], 'CreateAccessKey');
    assert.equal(key!.attributes['costIncurring'], false);
    assert.equal(key!.severity, 'INFO');
    assert.deepEqual(
      key!.resources.map((r) => [r.type, r.id]),
      [['aws.iam.access-key', 'AKIAIOSFODNN7EXAMPLE']],
    );

    assert.equal(run!.sourceId, '762b9172-6148-4c76-aee4-f6fc0fd140af');
    assert.equal(run!.title, 'RunInstances: 4 × p3.16xlarge by ci-deploy');
    assert.equal(run!.severity, 'MEDIUM');
    assert.deepEqual(
      run!.resources.map((r) => [r.type, r.id, r.instanceType, r.accountId, r.region]),
      ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003', 'i-0a1b2c3d4e5f60004'].map((id) => [
        'aws.ec2.instance',
        id,
        'p3.16xlarge',
        '111122223333',
        'us-east-1',
      ]),
    );
    assert.deepEqual(run!.principal, {
      identity: 'arn:aws:iam::111122223333:user/ci-deploy',
      name: 'ci-deploy',
      accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
      sourceIp: '203.0.113.77',
      userAgent: run!.principal!.userAgent,
    });
    const { eventName, instanceType, instanceFamily, instanceCount, costIncurring, spot, gpuInstance, errorCode } = run!.attributes;
    assert.deepEqual(
      { eventName, instanceType, instanceFamily, instanceCount, costIncurring, spot, gpuInstance, errorCode },
      {
        eventName: 'RunInstances',
        instanceType: 'p3.16xlarge',
        instanceFamily: 'p3',
        instanceCount: 4,
        costIncurring: true,
        spot: true,
        gpuInstance: true,
        errorCode: null,
      },
    );

    assert.equal(refused!.region, 'ap-southeast-1');
    assert.deepEqual(refused!.resources, [], 'a refused call launched nothing');
    assert.equal(refused!.attributes['errorCode'], 'Client.VcpuLimitExceeded');
    assert.equal(refused!.attributes['costIncurring'], false);
    assert.equal(refused!.attributes['instanceType'], 'g4dn.12xlarge');
    assert.equal(refused!.attributes['instanceCount'], 8);
    assert.equal(refused!.severity, 'MEDIUM', 'trying to launch GPUs is worth a look');
  });

  it('gives the same signal for a LookupEvents wire response (epoch EventTime) as for the log file record', () => {
    const fromLog = parse(fixture('log-file-leaked-key-gpu-runinstances.json')).signals[1];
    const fromLookup = parse(fixture('lookup-events-wire-epoch.json')).signals;
    assert.deepEqual(fromLookup, [fromLog]);
  });

  it('reads the aws-cli lookup-events example: an assumed-role console login, kept as context', () => {
    const [signal] = parse(fixture('lookup-events-cli-example.json')).signals;
    assert.equal(signal!.sourceId, '654ccbc0-ba0d-486a-9076-dbf7274677a7');
    assert.equal(signal!.observedAt, '2016-01-26T21:42:12.000Z');
    assert.equal(signal!.accountId, '123456789012');
    assert.equal(signal!.attributes['costIncurring'], false);
    assert.equal(signal!.severity, 'INFO');
    assert.deepEqual(signal!.principal, {
      identity: 'arn:aws:sts::123456789012:assumed-role/my-role/my-session-name',
      name: 'my-session-name',
      accessKeyId: null,
      sourceIp: '72.21.198.70',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/47.0.2526.111 Safari/537.36',
    });
  });

  it('fills what the CloudTrailEvent lacks from the LookupEvents entry', () => {
    const response = fixture('lookup-events-wire-epoch.json');
    const record = JSON.parse(response['Events'][0]['CloudTrailEvent'] as string) as Json;
    delete record['eventTime'];
    response['Events'][0]['CloudTrailEvent'] = JSON.stringify(record);
    const [signal] = parse(response).signals;
    assert.equal(signal!.observedAt, '2024-03-11T22:00:00.000Z');
  });

  it('marks a task definition that runs a miner image as mining', () => {
    const event = fixture('eventbridge-registertaskdefinition-xmrig.json');
    const [signal] = parse(event).signals;
    assert.equal(signal!.mining, true);
    assert.equal(signal!.severity, 'HIGH');
    assert.equal(signal!.accountId, '111122223333');
    assert.equal(signal!.region, 'eu-west-1');
    assert.equal(signal!.attributes['minerIndicator'], 'docker.io/xmrig/xmrig:6.21.0');
    assert.deepEqual(signal!.attributes['techniques'], ['T1496']);
    assert.equal(signal!.principal!.name, 'build-runner');
    assert.deepEqual(
      signal!.resources.map((r) => [r.type, r.id]),
      [['aws.ecs.task-definition', 'arn:aws:ecs:eu-west-1:111122223333:task-definition/batch-worker:1']],
    );
    assert.deepEqual(signal!.raw, event['detail']);
    assert.deepEqual(parse([event]).signals, [signal]);
  });

  it('names every bad record and field of a malformed log file', () => {
    assert.deepEqual(issuesOf(fixture('log-file-malformed.json')), [
      {
        index: 1,
        field: '/Records/1/eventTime',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 2, field: '/Records/2/eventID', message: 'is required' },
    ]);
  });

  it('rejects a two-record request with one bad record as a whole', () => {
    const [good] = fixture('log-file-startinstances-docs-example.json')['Records'];
    const bad = { ...good, eventID: 'other', eventTime: 'XXXX-XX-XXTXX:XX:XXZ' };
    assert.deepEqual(
      issuesOf({ Records: [good, bad] }).map((i) => [i.index, i.field]),
      [[1, '/Records/1/eventTime']],
    );
  });

  it('points into CloudTrailEvent strings and rejects other EventBridge detail types', () => {
    const response = fixture('lookup-events-cli-example.json');
    response['Events'][0]['CloudTrailEvent'] = '{"eventVersion":';
    assert.deepEqual(
      issuesOf(response).map((i) => [i.index, i.field, i.message]),
      [[0, '/Events/0/CloudTrailEvent', 'is not valid JSON']],
    );

    const record = JSON.parse(fixture('lookup-events-cli-example.json')['Events'][0]['CloudTrailEvent'] as string) as Json;
    delete record['awsRegion'];
    const lookup = { Events: [{ EventId: 'x', CloudTrailEvent: JSON.stringify(record) }] };
    assert.deepEqual(
      issuesOf(lookup).map((i) => i.field),
      ['/Events/0/CloudTrailEvent/awsRegion'],
    );

    const event = { ...fixture('eventbridge-registertaskdefinition-xmrig.json'), 'detail-type': 'EC2 Instance State-change Notification' };
    assert.deepEqual(
      issuesOf(event).map((i) => i.field),
      ['/detail-type'],
    );
  });
});
