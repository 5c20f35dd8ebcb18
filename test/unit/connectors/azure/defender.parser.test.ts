import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defenderSeverity, parseDefender } from '#src/connectors/azure/defender.parser.js';
import { PayloadValidationError, type ParseContext, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`azure/defender/${name}`);
const parse = (body: unknown) => parseDefender(body, ctx);
const withoutRaw = (signals: Signal[]) => signals.map(({ raw: _raw, ...rest }) => rest);

const SUBSCRIPTION = '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b';
const VM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-training-rg/providers/Microsoft.Compute/virtualMachines/gpu-worker-01`;

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

/** The export record above, as the Alerts REST API returns the same alert (camelCase, inside `properties`). */
function asArmAlert(record: Json): Json {
  const camel = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(camel)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camel(v)]))
        : value;
  const { TimeGenerated, ProcessingEndTime, ...rest } = record;
  const properties = camel(rest) as Json;
  properties['timeGeneratedUtc'] = TimeGenerated;
  properties['processingEndTimeUtc'] = ProcessingEndTime;
  properties['extendedProperties'] = record['ExtendedProperties'];
  return {
    id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-training-rg/providers/Microsoft.Security/locations/eastus/alerts/${record['SystemAlertId']}`,
    name: record['SystemAlertId'],
    type: 'Microsoft.Security/Locations/alerts',
    properties,
  };
}

describe('parseDefender', () => {
  it('turns a continuous-export VM_DigitalCurrencyMining record into a mining signal on its VM', () => {
    const record = fixture('continuous-export-vm-digital-currency-mining.json');
    const { signals, ignored } = parse(record);
    assert.equal(ignored, 0);
    assert.deepEqual(signals, [
      {
        source: 'azure.defender',
        sourceId: '2517538091586810000_7e3c1f7a-2b5d-4e0c-9a4b-6d1e8f2c3a90',
        sourceVersion: '2024-03-11T22:27:02.617Z#0',
        kind: 'security_finding',
        provider: 'azure',
        accountId: SUBSCRIPTION,
        region: 'eastus',
        observedAt: '2024-03-11T22:05:41.319Z',
        observedUntil: '2024-03-11T22:05:41.319Z',
        severity: 'HIGH',
        title: 'Digital currency mining related behavior detected',
        mining: true,
        resources: [{ provider: 'azure', accountId: SUBSCRIPTION, region: null, type: 'azure.compute.vm', id: VM }],
        // The only account entity is the VM's local root, which names no one outside the machine.
        principal: null,
        cost: null,
        attributes: {
          findingType: 'VM_DigitalCurrencyMining',
          techniques: ['T1496'],
          subTechniques: [],
          tactics: ['Execution'],
          severityName: 'High',
          status: 'New',
          compromisedEntity: 'gpu-worker-01',
          productName: 'Microsoft Defender for Cloud',
          productComponentName: 'Servers',
          vendorName: 'Microsoft',
          alertId: null,
          alertUri: record['AlertUri'],
          alertLocation: 'eastus',
          sample: false,
          ipAddresses: [],
          minerIndicator: record['Entities'][2]['CommandLine'],
        },
        raw: record,
      },
    ]);
  });

  it('gives the same signal for the alert as the REST API returns it (camelCase, in properties)', () => {
    const record = fixture('continuous-export-vm-digital-currency-mining.json');
    const arm = asArmAlert(record);
    const [fromExport] = withoutRaw(parse(record).signals);
    const [fromArm] = withoutRaw(parse({ value: [arm] }).signals);
    assert.equal(fromArm!.attributes['alertId'], arm['id']);
    assert.deepEqual({ ...fromArm, attributes: { ...fromArm!.attributes, alertId: null } }, fromExport);
  });

  it('unwraps Event Grid events, in the Event Grid and the CloudEvents schema', () => {
    const events = fixture('eventgrid-vm-digital-currency-mining.json') as unknown as Json[];
    const record = fixture('continuous-export-vm-digital-currency-mining.json');
    const [fromEvent] = parse(events).signals;
    assert.deepEqual(fromEvent, parse(record).signals[0]);
    assert.deepEqual(fromEvent!.raw, record, 'raw is the alert, not the envelope');

    const event = events[0]!;
    const cloudEvent = {
      specversion: '1.0',
      type: event['eventType'],
      source: event['topic'],
      subject: event['subject'],
      id: event['id'],
      time: event['eventTime'],
      datacontenttype: 'application/json',
      data: event['data'],
    };
    assert.deepEqual(parse(cloudEvent).signals, [fromEvent]);
  });

  it('reads an ARM list response: an AKS node mining alert and a resolved miner on a scale-set instance', () => {
    const list = fixture('alerts-list-aks-mining.json');
    const [aks, node] = parse(list).signals;

    assert.equal(aks!.sourceId, '2517538104422130000_3f9a1c2e-8d4b-4f7a-b1e6-5c0d9a8b7e21');
    assert.equal(aks!.region, 'westeurope');
    assert.equal(aks!.observedUntil, '2024-03-12T03:44:07.000Z');
    assert.equal(aks!.sourceVersion, '2024-03-12T03:51:29.102Z#0');
    assert.deepEqual(aks!.resources, [
      {
        provider: 'azure',
        accountId: SUBSCRIPTION,
        region: null,
        type: 'azure.aks.cluster',
        id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/aks-prod-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod-01`,
      },
    ]);
    assert.equal(aks!.attributes['findingType'], 'K8S.NODE_DigitalCurrencyMining');
    assert.deepEqual(aks!.attributes['techniques'], ['T1496']);
    assert.equal(aks!.attributes['domain'], 'pool.minexmr.com');
    assert.equal(aks!.attributes['minerIndicator'], undefined, 'kworkerds is no known miner name; the pool domain is the tell');

    assert.equal(node!.mining, true);
    assert.equal(node!.severity, 'MEDIUM');
    assert.equal(node!.attributes['status'], 'Resolved');
    assert.equal(node!.sourceVersion, '2024-03-12T03:58:12.441Z#2', 'a resolved alert is a later version');
    const scaleSet = `/subscriptions/${SUBSCRIPTION}/resourceGroups/MC_aks-prod-rg_aks-prod-01_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-27354651-vmss`;
    assert.deepEqual(
      node!.resources.map((r) => [r.type, r.id]),
      [
        ['azure.compute.vmss-instance', `${scaleSet}/virtualMachines/3`],
        ['azure.compute.vmss', scaleSet],
      ],
    );
  });

  it('orders versions by status when the times do not move', () => {
    const arm = fixture('alerts-list-aks-mining.json')['value'][0];
    const active = parse(arm).signals[0]!;
    arm['properties']['status'] = 'Dismissed';
    const dismissed = parse(arm).signals[0]!;
    assert.equal(active.sourceId, dismissed.sourceId);
    assert.ok(dismissed.sourceVersion > active.sourceVersion);
  });

  it('keeps the shared REST example (VM_EICAR test alert) as a non-mining sample finding', () => {
    const alert = fixture('alert-rest-vm-eicar-2022-01-01.json');
    const [signal] = parse(alert).signals;
    assert.equal(signal!.mining, false);
    assert.equal(signal!.severity, 'HIGH');
    assert.equal(signal!.sourceId, '2518298467986649999_4d25bfef-2d77-4a08-adc0-3e35715cc92a');
    assert.equal(signal!.accountId, '20ff7fc3-e762-44dd-bd96-b71116dcdc23');
    assert.equal(signal!.region, 'westeurope');
    assert.equal(signal!.observedAt, '2020-02-22T00:00:00.000Z');
    assert.equal(signal!.sourceVersion, '2020-02-23T13:47:58.920Z#0');
    assert.deepEqual(signal!.attributes['techniques'], ['T1059', 'T1053', 'T1072']);
    assert.deepEqual(signal!.attributes['subTechniques'], ['T1059.001', 'T1059.006', 'T1053.002']);
    assert.equal(signal!.attributes['sample'], true);
    assert.deepEqual(signal!.attributes['ipAddresses'], ['192.0.2.1']);
    assert.deepEqual(
      signal!.resources.map((r) => [r.type, r.id]),
      [
        [
          'azure.compute.vm',
          '/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/myRg1/providers/Microsoft.Compute/virtualMachines/vm1',
        ],
      ],
    );
  });

  it('keeps the Sumo Logic export sample (admission webhook on AKS) as a non-mining finding', () => {
    const [signal] = parse(fixture('continuous-export-k8s-admission-webhook.json')).signals;
    assert.equal(signal!.mining, false);
    assert.equal(signal!.severity, 'INFO');
    assert.equal(signal!.region, 'centralus');
    assert.deepEqual(signal!.attributes['tactics'], ['Persistence', 'CredentialAccess']);
    assert.deepEqual(signal!.attributes['techniques'], []);
    assert.deepEqual(
      signal!.resources.map((r) => r.type),
      ['azure.aks.cluster'],
    );
  });

  it('reads Log Analytics SecurityAlert rows, decoding their JSON string columns', () => {
    const [signal] = parse(fixture('securityalert-rows-appservice-mining.json')).signals;
    assert.equal(signal!.sourceId, '4a6c1e2b-7d8f-3a9e-0b1c-2d3e4f5a6b7c');
    assert.equal(signal!.mining, true);
    assert.equal(signal!.severity, 'HIGH');
    assert.equal(signal!.region, 'centralus');
    assert.equal(signal!.observedAt, '2024-03-12T10:11:02.000Z');
    assert.equal(signal!.attributes['findingType'], 'AppServices_DigitalCurrencyMining');
    assert.deepEqual(signal!.attributes['techniques'], ['T1496']);
    assert.deepEqual(
      signal!.resources.map((r) => [r.type, r.id]),
      [['azure.appservice.site', `/subscriptions/${SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Web/sites/contoso-api`]],
    );
  });

  it('calls an alert of another type mining when its text or entities say so', () => {
    const record = fixture('continuous-export-k8s-admission-webhook.json');
    record['AlertType'] = 'MDE_Suspicious';
    record['AlertDisplayName'] = "'CoinMiner' malware was detected";
    assert.equal(parse(record).signals[0]!.mining, true);

    const plain = fixture('continuous-export-k8s-admission-webhook.json');
    plain['ExtendedProperties']['Suspicious Command Line'] = 'docker run -d xmrig/xmrig:6.21.0';
    const [signal] = parse(plain).signals;
    assert.equal(signal!.mining, true);
    assert.equal(signal!.attributes['minerIndicator'], 'docker run -d xmrig/xmrig:6.21.0');
  });

  it('names an Entra ID account entity as the principal', () => {
    const record = fixture('continuous-export-k8s-admission-webhook.json');
    record['Entities'].push({
      $id: '9',
      Name: 'rob',
      UPNSuffix: 'contoso.com',
      AadUserId: 'f409edeb-4d29-44b5-9763-ee9348ad91bb',
      Type: 'account',
    });
    assert.deepEqual(parse(record).signals[0]!.principal, {
      identity: 'rob@contoso.com',
      name: 'rob',
      accessKeyId: null,
      sourceIp: null,
      userAgent: null,
    });
  });

  it('maps Defender severities', () => {
    assert.deepEqual(['Informational', 'low', 'Medium', 'HIGH', 'Severe'].map(defenderSeverity), ['INFO', 'LOW', 'MEDIUM', 'HIGH', null]);
  });

  it('names every bad alert and field of a malformed list response', () => {
    assert.deepEqual(issuesOf(fixture('alerts-list-malformed.json')), [
      { index: 1, field: '/value/1/properties/severity', message: 'must be Informational, Low, Medium or High' },
      {
        index: 1,
        field: '/value/1/properties/startTimeUtc',
        message: 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z',
      },
      { index: 2, field: '/value/2/properties/alertType', message: 'is required' },
    ]);
  });

  it('spells fields of export records and SecurityAlert rows the way they came', () => {
    const record = fixture('continuous-export-vm-digital-currency-mining.json');
    delete record['StartTimeUtc'];
    record['Severity'] = 3;
    assert.deepEqual(
      issuesOf([record]).map((i) => [i.index, i.field, i.message]),
      [
        [0, '/0/Severity', 'must be a string, got number'],
        [0, '/0/StartTimeUtc', 'is required'],
      ],
    );
    const [row] = fixture('securityalert-rows-appservice-mining.json') as unknown as Json[];
    row!['Entities'] = '[{"$id":';
    assert.deepEqual(
      issuesOf([row]).map((i) => [i.index, i.field, i.message]),
      [[0, '/0/Entities', 'is not valid JSON']],
    );
  });

  it('needs a subscription and an alert id', () => {
    const record = fixture('continuous-export-vm-digital-currency-mining.json');
    delete record['AzureResourceId'];
    record['ResourceIdentifiers'] = [];
    delete record['ExtendedProperties']['EffectiveSubscriptionId'];
    assert.deepEqual(
      issuesOf(record).map((i) => [i.index, i.field]),
      [[0, '']],
    );
    const anonymous = fixture('continuous-export-vm-digital-currency-mining.json');
    delete anonymous['SystemAlertId'];
    assert.match(issuesOf(anonymous)[0]!.message, /names no alert id/);
  });

  it('rejects Graph change notifications and bodies that are no alerts', () => {
    const graph = {
      id: '00d8a100-2e92-4bfa-86e1-0056dacd0fce',
      type: 'Microsoft.Graph.AlertCreated',
      source: '/tenants/<tenant-id>/applications/<application-id>',
      subject: 'Alert/<alert-id>',
      time: '2022-05-24T22:24:31.3062901Z',
      datacontenttype: 'application/json',
      specversion: '1.0',
      data: { resource: '<alert-id>', changeType: 'updated' },
    };
    assert.deepEqual(
      issuesOf(graph).map((i) => [i.index, i.field]),
      [[0, '/type']],
    );
    assert.deepEqual(issuesOf('alert'), [{ index: null, field: '', message: 'expected a JSON object or array, got string' }]);
    assert.deepEqual(
      issuesOf({ value: {} }).map((i) => [i.index, i.field]),
      [[null, '/value']],
    );
    assert.deepEqual(issuesOf([42]), [{ index: 0, field: '/0', message: 'a Defender for Cloud alert must be a JSON object' }]);
    assert.deepEqual(parse({ value: [] }), { signals: [], ignored: 0 });
  });
});
