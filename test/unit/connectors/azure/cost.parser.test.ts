import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { costDay, parseCost } from '#src/connectors/azure/cost.parser.js';
import { PayloadValidationError, type CostRow, type ParseContext, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2024-03-14T00:00:00Z'), query: {} };
type Json = Record<string, any>;

const SUBSCRIPTION = '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b';
const fixture = (name: string) => readFixture<Json>(`azure/cost/${name}`);
const csv = (name: string) => readFixtureText(`azure/cost/${name}`);
const parse = (body: unknown, query: Record<string, string> = {}) => parseCost(body, { ...ctx, query });
const rowsOf = (body: unknown, query: Record<string, string> = {}, ignored = 0): CostRow[] => {
  const result = parse(body, query);
  assert.deepEqual(result.signals, [], 'cost data never becomes signals directly');
  assert.equal(result.ignored, ignored);
  return result.costRows ?? [];
};

function issuesOf(body: unknown, query: Record<string, string> = {}): ValidationIssue[] {
  try {
    parse(body, query);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

describe('parseCost', () => {
  it('turns a daily Cost Management query response into cost rows, GPU spike included', () => {
    const rows = rowsOf(fixture('query-subscription-daily-gpu-spike.json'));
    assert.equal(rows.length, 12);
    assert.deepEqual(rows[0], {
      source: 'azure.cost',
      provider: 'azure',
      accountId: SUBSCRIPTION,
      service: 'Virtual Machines',
      region: 'eastus',
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourcegroups/web-rg/providers/microsoft.compute/virtualmachines/web-01`,
      usageType: 'Dv3/DSv3 Series - D4 v3/D4s v3',
      day: '2024-03-08',
      amount: 4.608,
      currency: 'USD',
    });
    const gpu = rows.filter((r) => r.usageType === 'NCSv3 Series - NC24s v3');
    assert.deepEqual(
      gpu.map((r) => [r.day, r.amount, r.resourceId]),
      [
        [
          '2024-03-11',
          24.48,
          `/subscriptions/${SUBSCRIPTION}/resourcegroups/ml-training-rg/providers/microsoft.compute/virtualmachines/gpu-worker-01`,
        ],
        [
          '2024-03-12',
          293.76,
          `/subscriptions/${SUBSCRIPTION}/resourcegroups/ml-training-rg/providers/microsoft.compute/virtualmachines/gpu-worker-01`,
        ],
      ],
    );
    assert.deepEqual([...new Set(rows.map((r) => r.service))], ['Virtual Machines', 'Storage']);
  });

  it('reads the SDK-flattened form and pages sent together', () => {
    const response = fixture('query-subscription-daily-gpu-spike.json');
    const flattened = { ...response['properties'] };
    assert.deepEqual(rowsOf(flattened), rowsOf(response));
    const [first, second] = [structuredClone(response), structuredClone(response)];
    first['properties']['rows'] = response['properties']['rows'].slice(0, 6);
    second['properties']['rows'] = response['properties']['rows'].slice(6);
    assert.deepEqual(rowsOf([first, second]), rowsOf(response));
  });

  it('needs a subscription for the shared management-group example, and takes it from the query', () => {
    const response = fixture('query-management-group-by-resource-group-2023-03-01.json');
    assert.deepEqual(issuesOf(response), [
      {
        index: null,
        field: '/properties/columns',
        message: 'names no subscription: add a SubscriptionId or ResourceId column (grouping), or pass ?subscriptionId= in the query',
      },
    ]);
    const rows = rowsOf(response, { subscriptionId: SUBSCRIPTION });
    assert.deepEqual(rows[1], {
      source: 'azure.cost',
      provider: 'azure',
      accountId: SUBSCRIPTION,
      service: 'All services',
      region: null,
      resourceId: null,
      usageType: null,
      day: '2018-03-31',
      amount: 173.41979241290323,
      currency: 'USD',
    });
  });

  it('reads the FinOps toolkit EA actual-cost export as CSV text, leaving the reservation purchase out', () => {
    const rows = rowsOf(csv('ea-actual-cost-finops-toolkit.csv'), {}, 1);
    assert.deepEqual(rows[0], {
      source: 'azure.cost',
      provider: 'azure',
      accountId: 'ed570627-0265-4620-bb42-bae06bcfa914',
      service: 'Storage',
      region: 'eastus2',
      resourceId:
        '/subscriptions/ed570627-0265-4620-bb42-bae06bcfa914/resourceGroups/databricks-rg-PeskyData-s6taefbli5c5e/providers/Microsoft.Storage/storageAccounts/dbstoragewp6hglwvvrad2',
      usageType: 'Tiered Block Blob - GRS List and Create Container Operations',
      day: '2023-09-04',
      amount: 0.00004,
      currency: 'USD',
    });
    assert.deepEqual(
      rows.slice(1).map((r) => [r.accountId.slice(0, 8), r.day, r.service, r.region, r.usageType, r.amount]),
      [
        [
          'ed570627',
          '2023-09-04',
          'Storage',
          'westus',
          'Premium Block Blob v2 Hierarchical Namespace - Premium LRS Read Operations',
          0.000011139,
        ],
        // AdditionalInfo names the VM size.
        ['1caaa5a3', '2023-09-04', 'Virtual Machines', 'southcentralus', 'Standard_D2s_v3', 2.64],
        ['1caaa5a3', '2023-09-04', 'SQL Managed Instance', 'westus2', 'Managed Instance General Purpose - SQL License - vCore', 0],
        ['64e355d7', '2023-09-04', 'Advanced Threat Protection', null, 'Key Vault - Standard Transactions', 0.000002],
        ['1caaa5a3', '2023-09-05', 'Storage', 'ukwest', 'Premium SSD Managed Disks - P4 LRS Disk', 0.21268368],
      ],
    );
  });

  it('reads an EA export with a GPU spike, naming the VM size of each line', () => {
    const rows = rowsOf(csv('ea-actual-cost-gpu-spike.csv'));
    const gpu = rows.filter((r) => r.usageType === 'Standard_NC24s_v3');
    assert.deepEqual(
      gpu.map((r) => [r.day, r.region, r.amount, r.resourceId?.split('/').at(-1)]),
      [
        ['2024-03-11', 'eastus', 24.48, 'gpu-worker-01'],
        ['2024-03-12', 'eastus', 293.76, 'gpu-worker-01'],
        ['2024-03-12', 'southcentralus', 257.04, 'gpu-worker-02'],
      ],
    );
    assert.deepEqual(
      rows.filter((r) => r.usageType === 'Standard_D4s_v3').map((r) => [r.day, r.amount]),
      ['08', '09', '10', '11', '12'].map((d) => [`2024-03-${d}`, 4.608]),
    );
  });

  it('reads MCA rows sent as JSON (camelCase columns, billing currency) like CSV', () => {
    const rows = rowsOf(fixture('mca-cost-details-rows.json'));
    assert.deepEqual(rows[0], {
      source: 'azure.cost',
      provider: 'azure',
      accountId: SUBSCRIPTION,
      service: 'Virtual Machines',
      region: 'eastus',
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-training-rg/providers/Microsoft.Compute/virtualMachines/gpu-worker-03`,
      usageType: 'Standard_NC24s_v3',
      day: '2024-03-12',
      amount: 270.2592,
      currency: 'EUR',
    });
    // The same rows as CSV text give the same cost rows.
    const items = fixture('mca-cost-details-rows.json') as unknown as Json[];
    const columns = Object.keys(items[0]!);
    const quote = (v: unknown) => (v === null ? '' : `"${String(v).replaceAll('"', '""')}"`);
    const text = [columns.join(','), ...items.map((item) => columns.map((c) => quote(item[c])).join(','))].join('\r\n');
    assert.deepEqual(rowsOf(text), rows);
    assert.deepEqual(rowsOf({ value: items.map((properties) => ({ kind: 'modern', properties })) }), rows);
  });

  it('falls back from SubscriptionId to the ARM resource id, then to ?subscriptionId=', () => {
    const items = fixture('mca-cost-details-rows.json') as unknown as Json[];
    delete items[0]!['SubscriptionId'];
    items[1]!['SubscriptionId'] = '';
    items[1]!['ResourceId'] = '';
    assert.deepEqual(
      issuesOf(items).map((i) => [i.index, i.field, i.message]),
      [
        [
          1,
          '/1/SubscriptionId',
          'is required: the row names no subscription (SubscriptionId, an ARM ResourceId, or ?subscriptionId= in the query)',
        ],
      ],
    );
    assert.deepEqual(
      rowsOf(items, { subscriptionId: 'from-query' }).map((r) => r.accountId),
      [SUBSCRIPTION, 'from-query'],
    );
  });

  it('reads the days Azure writes', () => {
    assert.deepEqual(
      [20240501, '20240501', '2024-05-01', '2024-05-01T00:00:00', '2024-05-01T23:30:00-02:00', '05/01/2024', '5/1/2024'].map(costDay),
      ['2024-05-01', '2024-05-01', '2024-05-01', '2024-05-01', '2024-05-02', '2024-05-01', '2024-05-01'],
    );
    assert.deepEqual([20240231, '13/01/2024', '2024-5-1', 'yesterday', 2024050.5, null].map(costDay), [null, null, null, null, null, null]);
  });

  it('names every bad row and cell of a malformed query response', () => {
    assert.deepEqual(issuesOf(fixture('query-malformed.json')), [
      { index: 3, field: '/properties/rows/3', message: 'must be an array of 4 values, one per column' },
      { index: 1, field: '/properties/rows/1/0', message: 'PreTaxCost must be a number, got "n/a"' },
      { index: 2, field: '/properties/rows/2/2', message: 'UsageDate must be a day (20240501, 2024-05-01 or 05/01/2024), got 20240231' },
      {
        index: 4,
        field: '/properties/rows/4/1',
        message: 'is required: the row names no subscription (SubscriptionId, an ARM ResourceId, or ?subscriptionId= in the query)',
      },
    ]);
  });

  it('refuses monthly granularity, and tables without cost, day or currency', () => {
    const monthly = {
      properties: {
        columns: [
          { name: 'PreTaxCost', type: 'Number' },
          { name: 'BillingMonth', type: 'Datetime' },
          { name: 'SubscriptionId', type: 'String' },
          { name: 'Currency', type: 'String' },
        ],
        rows: [[1200.5, '2024-03-01T00:00:00', SUBSCRIPTION, 'USD']],
      },
    };
    assert.deepEqual(issuesOf(monthly), [
      {
        index: null,
        field: '/properties/columns',
        message: 'has BillingMonth but no day: query with granularity Daily (monthly totals would read as one-day spikes)',
      },
    ]);
    assert.deepEqual(
      issuesOf('SubscriptionId,Date\nabc,05/01/2024\n').map((i) => [i.index, i.field, i.message]),
      [[null, '', 'the CSV header has no cost column (CostInBillingCurrency, Cost, PreTaxCost or CostUSD)']],
    );
    assert.deepEqual(
      issuesOf('SubscriptionId,Date,Cost\nabc,05/01/2024,1\n').map((i) => i.message),
      ['the CSV header has no currency column (BillingCurrency, BillingCurrencyCode or Currency) for Cost'],
    );
    // CostUSD needs no currency column.
    assert.deepEqual(
      rowsOf('SubscriptionId,UsageDate,CostUSD\nabc,20240501,1.5\n').map((r) => [r.amount, r.currency]),
      [[1.5, 'USD']],
    );
  });

  it('names CSV cells by row and column, and reports broken CSV', () => {
    const text = csv('ea-actual-cost-gpu-spike.csv').replaceAll('03/12/2024,Virtual Machines NCSv3', '2024-03-32,Virtual Machines NCSv3');
    assert.deepEqual(
      issuesOf(text).map((i) => [i.index, i.field]),
      [
        [6, '/6/Date'],
        [7, '/7/Date'],
      ],
    );
    assert.match(issuesOf('a,b\n"1,2\n')[0]!.message, /^not valid CSV: /);
    assert.deepEqual(issuesOf(''), [{ index: null, field: '', message: 'the body is empty' }]);
    assert.deepEqual(issuesOf(42), [
      { index: null, field: '', message: 'expected cost rows (a query response, CSV text or JSON rows), got number' },
    ]);
    assert.deepEqual(issuesOf({ properties: { columns: [{ type: 'Number' }], rows: [] } }), [
      { index: null, field: '/properties/columns/0/name', message: 'is required' },
    ]);
  });
});
