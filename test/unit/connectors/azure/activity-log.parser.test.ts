import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseActivityLog, phaseOf } from '#src/connectors/azure/activity-log.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const SUBSCRIPTION = '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b';
const APP = '2f8a7c1e-9b3d-4e5f-a6c7-d8e9f0a1b2c3';
const VM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-training-rg/providers/Microsoft.Compute/virtualMachines/gpu-worker-01`;
const VM_WRITE_ID = `8e4f2a1c-3b5d-4c6e-9f70-1a2b3c4d5e6f|microsoft.compute/virtualmachines/write|${VM.toLowerCase()}|succeeded`;

const fixture = (name: string) => readFixture<Json>(`azure/activity-log/${name}`);
const parse = (body: unknown) => parseActivityLog(body, ctx);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

/** A signal with the parts that only differ in case between channels taken out. */
const caseless = (s: Signal) => ({
  ...s,
  raw: undefined,
  title: s.title.toLowerCase(),
  resources: s.resources.map((r) => ({ ...r, id: r.id.toLowerCase() })),
  attributes: { ...s.attributes, eventName: String(s.attributes['eventName']).toLowerCase(), eventDataId: null },
});

describe('parseActivityLog', () => {
  it('reads a diagnostic-settings export: GPU VM by a service principal, refused scale set, miner container', () => {
    const file = fixture('records-leaked-sp-gpu-and-miner.json');
    const { signals, ignored } = parse(file);
    assert.equal(ignored, 4, 'three Started events and one Security record');
    const [vm, vmss, aci] = signals;

    assert.deepEqual(vm, {
      source: 'azure.activity-log',
      sourceId: VM_WRITE_ID,
      sourceVersion: '1#2024-03-11T21:58:41.937Z',
      kind: 'provisioning',
      provider: 'azure',
      // The export upper-cases ids; accounts are reported in lower case.
      accountId: SUBSCRIPTION,
      region: 'eastus',
      observedAt: '2024-03-11T21:58:41.937Z',
      observedUntil: '2024-03-11T21:58:41.937Z',
      severity: 'MEDIUM',
      title: `MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE: 1 × Standard_NC24s_v3 by ${APP}`,
      mining: false,
      resources: [
        {
          provider: 'azure',
          accountId: SUBSCRIPTION,
          region: 'eastus',
          type: 'azure.compute.vm',
          id: VM.toUpperCase(),
          instanceType: 'Standard_NC24s_v3',
        },
      ],
      // An app-only token: the service principal is named by its application id.
      principal: { identity: APP, name: null, accessKeyId: null, sourceIp: '203.0.113.77', userAgent: null },
      cost: null,
      attributes: {
        eventName: 'MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE',
        status: 'succeeded',
        resourceType: 'microsoft.compute/virtualmachines',
        instanceType: 'Standard_NC24s_v3',
        instanceTypes: ['Standard_NC24s_v3'],
        instanceFamily: 'NC',
        gpuInstance: true,
        instanceCount: 1,
        errorCode: null,
        errorMessage: null,
        costIncurring: true,
        spot: true,
        correlationId: '8e4f2a1c-3b5d-4c6e-9f70-1a2b3c4d5e6f',
        eventDataId: null,
        tags: [
          { key: 'owner', value: 'ml-platform' },
          { key: 'purpose', value: 'training' },
        ],
      },
      raw: file['records'][1],
    });

    assert.equal(
      vmss!.title,
      `MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/WRITE: 8 × Standard_NC24s_v3 by ${APP} failed (OperationNotAllowed)`,
    );
    assert.equal(vmss!.severity, 'MEDIUM', 'trying to launch GPUs is worth a look');
    assert.deepEqual(vmss!.resources, [], 'a refused write created nothing');
    assert.equal(vmss!.region, 'southcentralus');
    const { errorCode, costIncurring, instanceCount, gpuInstance, status } = vmss!.attributes;
    assert.deepEqual(
      { errorCode, costIncurring, instanceCount, gpuInstance, status },
      {
        errorCode: 'OperationNotAllowed',
        costIncurring: false,
        instanceCount: 8,
        gpuInstance: true,
        status: 'failed',
      },
    );
    assert.match(String(vmss!.attributes['errorMessage']), /exceeding approved standardNCSv3Family Cores quota/);

    assert.equal(aci!.mining, true);
    assert.equal(aci!.severity, 'HIGH');
    assert.equal(aci!.attributes['minerIndicator'], 'docker.io/xmrig/xmrig:6.21.0');
    assert.deepEqual(aci!.attributes['techniques'], ['T1496']);
    assert.deepEqual(
      aci!.resources.map((r) => [r.type, r.id.split('/').at(-1)]),
      [['azure.aci.container-group', 'METRICS-AGENT']],
    );
  });

  it('gives the same operation the same signal through the REST list, whatever the casing', () => {
    const list = fixture('rest-list-gpu-vm-write.json');
    const { signals, ignored } = parse(list);
    assert.equal(ignored, 1, 'the Started event');
    const [fromRest] = signals;
    const [fromExport] = parse(fixture('records-leaked-sp-gpu-and-miner.json')).signals;
    assert.equal(fromRest!.sourceId, fromExport!.sourceId);
    assert.equal(fromRest!.sourceVersion, fromExport!.sourceVersion);
    assert.equal(fromRest!.attributes['eventDataId'], 'd3f1a2b4-c5d6-47e8-9f0a-1b2c3d4e5f60');
    assert.equal(fromRest!.resources[0]!.id, VM);
    assert.deepEqual(caseless(fromRest!), caseless(fromExport!));
    assert.deepEqual(fromRest!.raw, list['value'][0]);
  });

  it('reads Event Grid ResourceWriteSuccess events; the richer record of the same outcome wins', () => {
    const events = fixture('eventgrid-resource-write-success-gpu-vm.json') as unknown as Json[];
    const [event] = parse(events).signals;
    assert.equal(event!.sourceId, VM_WRITE_ID);
    assert.equal(event!.sourceVersion, '0#2024-03-11T21:58:42.041Z');
    assert.equal(event!.attributes['costIncurring'], true);
    assert.equal(event!.attributes['instanceType'], null, 'Event Grid carries no request body');
    assert.equal(event!.severity, 'LOW');
    assert.deepEqual(event!.resources, [{ provider: 'azure', accountId: SUBSCRIPTION, region: null, type: 'azure.compute.vm', id: VM }]);
    assert.deepEqual(event!.principal, { identity: APP, name: null, accessKeyId: null, sourceIp: null, userAgent: null });
    assert.deepEqual(event!.raw, events[0]!['data']);
    const [record] = parse(fixture('records-leaked-sp-gpu-and-miner.json')).signals;
    assert.ok(record!.sourceVersion > event!.sourceVersion);

    const cloudEvent = {
      specversion: '1.0',
      type: events[0]!['eventType'],
      source: events[0]!['topic'],
      subject: events[0]!['subject'],
      id: events[0]!['id'],
      time: events[0]!['eventTime'],
      data: events[0]!['data'],
    };
    assert.deepEqual(parse(cloudEvent).signals, [event]);
  });

  it('keeps the documentation example (NSG write by a user) as context', () => {
    const [signal] = parse(fixture('rest-event-nsg-write-docs-example.json')).signals;
    assert.equal(signal!.severity, 'INFO');
    assert.equal(signal!.attributes['costIncurring'], false);
    assert.equal(signal!.accountId, '00000000-0000-0000-0000-000000000000');
    assert.equal(signal!.region, null);
    assert.equal(signal!.title, 'Microsoft.Network/networkSecurityGroups/write by Rob Robertson');
    assert.deepEqual(signal!.principal, {
      identity: 'rob@contoso.com',
      name: 'Rob Robertson',
      accessKeyId: null,
      sourceIp: '111.111.1.111',
      userAgent: null,
    });
    assert.deepEqual(
      signal!.resources.map((r) => r.type),
      ['azure.network.networksecuritygroups'],
    );
    assert.equal(signal!.attributes['eventDataId'], 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e');
  });

  it('ignores other categories and other diagnostic logs', () => {
    const records = fixture('records-leaked-sp-gpu-and-miner.json')['records'] as Json[];
    const signIn = {
      Level: 4,
      category: 'NonInteractiveUserSignInLogs',
      identity: 'Michell Lan',
      operationName: 'Sign-in activity',
      time: '2022-03-22T10:48:48.8558814Z',
    };
    assert.deepEqual(parse({ records: [records[6], signIn] }), { signals: [], ignored: 2 });
    const rest = { ...fixture('rest-event-nsg-write-docs-example.json'), category: { value: 'Policy', localizedValue: 'Policy' } };
    assert.deepEqual(parse({ value: [rest] }), { signals: [], ignored: 1 });
  });

  it('maps the status words of the three channels', () => {
    assert.deepEqual(
      ['Start', 'Started', 'Accepted', 'Success', 'Succeeded', 'Failure', 'Failed', 'Cancel', 'Canceled', 'Active', undefined].map(phaseOf),
      ['started', 'started', 'accepted', 'succeeded', 'succeeded', 'failed', 'failed', 'canceled', 'canceled', 'other', 'other'],
    );
  });

  it('names every bad record and field of a malformed export', () => {
    assert.deepEqual(issuesOf(fixture('records-malformed.json')), [
      {
        index: 1,
        field: '/records/1/time',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 2, field: '/records/2/correlationId', message: 'is required' },
      { index: 3, field: '/records/3/operationName', message: 'must be a string, got number' },
    ]);
  });

  it('names bad REST and Event Grid fields, and refuses other event types', () => {
    const rest = fixture('rest-event-nsg-write-docs-example.json');
    rest['operationName'] = 'Microsoft.Network/networkSecurityGroups/write';
    rest['eventTimestamp'] = '2018-01-29 20:42:31';
    assert.deepEqual(
      issuesOf({ value: [rest] }).map((i) => [i.index, i.field]),
      [
        [0, '/value/0/eventTimestamp'],
        [0, '/value/0/operationName'],
      ],
    );

    const [event] = fixture('eventgrid-resource-write-success-gpu-vm.json') as unknown as Json[];
    delete event!['data']['resourceUri'];
    event!['eventTime'] = 'yesterday';
    assert.deepEqual(
      issuesOf([event]).map((i) => [i.index, i.field]),
      [
        [0, '/0/eventTime'],
        [0, '/0/data/resourceUri'],
      ],
    );
    const other = { ...event, eventType: 'Microsoft.Storage.BlobCreated' };
    assert.match(issuesOf(other)[0]!.message, /^unsupported Event Grid event type "Microsoft.Storage.BlobCreated"/);

    const record = fixture('records-leaked-sp-gpu-and-miner.json')['records'][1];
    record['resourceId'] = '/providers/Microsoft.Management/managementGroups/root';
    assert.deepEqual(issuesOf([record]), [
      { index: 0, field: '/0/resourceId', message: 'must be an ARM resource id starting /subscriptions/{subscriptionId}' },
    ]);
    assert.deepEqual(issuesOf('records'), [{ index: null, field: '', message: 'expected a JSON object or array, got string' }]);
    assert.deepEqual(
      issuesOf({ records: {} }).map((i) => [i.index, i.field]),
      [[null, '/records']],
    );
  });
});
