import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseBigQueryTimestamp, parseBilling } from '#src/connectors/gcp/billing.parser.js';
import { PayloadValidationError, type CostRow, type ParseContext, type ValidationIssue } from '#src/connectors/signal.js';
import { readFixture, readFixtureText } from '../../../support/fixtures.js';

const ctx: ParseContext = { receivedAt: new Date('2025-01-01T00:00:00Z'), query: {} };
// Fixtures are arbitrary cloud JSON that the tests reach into and mutate; typing every shape would add nothing.

type Json = Record<string, any>;

const fixture = (name: string) => readFixture<Json>(`gcp/billing/${name}`);
/** NDJSON reaches a parser as the array of its lines. */
const ndjson = (name: string): Json[] =>
  readFixtureText(`gcp/billing/${name}`)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Json);
const parse = (body: unknown) => parseBilling(body, ctx);

function issuesOf(body: unknown): ValidationIssue[] {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof PayloadValidationError, `expected PayloadValidationError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the payload to be rejected');
}

const A100_VM = '//compute.googleapis.com/projects/acme-ml-training/zones/us-central1-a/instances/train-a100-01';
const gpuRow: CostRow = {
  source: 'gcp.billing',
  provider: 'gcp',
  accountId: 'acme-ml-training',
  service: 'Compute Engine',
  region: 'us-central1',
  resourceId: A100_VM,
  usageType: 'Nvidia Tesla A100 GPU running in Americas',
  day: '2024-06-13',
  // 23.468 cost plus a -2.5 free-trial credit.
  amount: 20.968,
  currency: 'USD',
};
const coreRow: CostRow = { ...gpuRow, usageType: 'A2 Instance Core running in Americas', amount: 3.0336 };

describe('parseBilling', () => {
  it('turns detailed export NDJSON into cost rows, naming the VM as the other GCP sources do', () => {
    const { signals, ignored, costRows } = parse(ndjson('detailed-export-gpu-spike.ndjson'));
    assert.deepEqual([signals, ignored], [[], 0]);
    assert.deepEqual(costRows, [
      {
        source: 'gcp.billing',
        provider: 'gcp',
        accountId: 'voormedia-187708',
        service: 'Compute Engine',
        region: 'europe-west4',
        // A disk keeps its global name as the export writes it.
        resourceId: '//compute.googleapis.com/projects/441570621172/zones/europe-west4-a/disk/5731447681477044785',
        usageType: 'SSD backed PD Capacity in Netherlands',
        day: '2024-05-12',
        amount: 0.012434,
        currency: 'EUR',
      },
      gpuRow,
      coreRow,
      gpuRow,
      coreRow,
    ]);
  });

  it('reads standard export rows: no resource, multi-region locations, and a tax row billed to the account', () => {
    const { costRows } = parse(fixture('standard-export-rows.json'));
    assert.deepEqual(
      costRows!.map((r) => [r.accountId, r.service, r.usageType, r.region, r.resourceId, r.day, r.amount]),
      [
        ['acme-web', 'Cloud Storage', 'Standard Storage US Multi-region', null, null, '2024-06-12', 0.041211],
        ['acme-web', 'BigQuery', 'Analysis', null, null, '2024-06-12', 0],
        ['01A2B3-C4D5E6-F7A8B9', 'Invoice', 'Tax', null, null, '2024-06-12', 0.36],
      ],
    );
  });

  it('decodes a BigQuery jobs.query response (f/v cells, float-second TIMESTAMPs) like the export rows', () => {
    const { costRows } = parse(fixture('query-response-detailed.json'));
    assert.deepEqual(costRows, [gpuRow, coreRow]);
  });

  it('turns ListAnomalies into cost_anomaly signals, GPU SKUs flagged', () => {
    const response = fixture('anomalies-list-gpu-and-bigquery.json');
    const { signals, costRows } = parse(response);
    assert.deepEqual(costRows, []);
    assert.deepEqual(signals[0], {
      source: 'gcp.billing',
      sourceId: 'billingAccounts/01A2B3-C4D5E6-F7A8B9/anomalies/a3c5e7f9-1b2d-4f6a-8c0e-2d4f6a8c0e1b',
      sourceVersion: '2024-06-14T09:12:33.481Z#000000000097425',
      kind: 'cost_anomaly',
      provider: 'gcp',
      // A billing-account anomaly names its project among the root causes.
      accountId: 'acme-ml-training',
      region: null,
      observedAt: '2024-06-13T07:00:00.000Z',
      observedUntil: '2024-06-14T06:59:59.999Z',
      severity: 'HIGH',
      title: 'Cost anomaly: 974.25 USD above expected spend (Compute Engine, Nvidia Tesla A100 GPU running in Americas)',
      mining: false,
      resources: [],
      principal: null,
      cost: { amount: 974.25, currency: 'USD' },
      attributes: {
        service: 'Compute Engine',
        usageType: 'Nvidia Tesla A100 GPU running in Americas',
        gpuUsage: true,
        expectedSpend: 212.17,
        actualSpend: 1186.42,
        totalImpact: 974.25,
        totalImpactPercentage: 458.2,
        scope: 'SCOPE_BILLING_ACCOUNT',
        anomalySeverity: 'ANOMALY_SEVERITY_HIGH',
        billingAccountId: '01A2B3-C4D5E6-F7A8B9',
        projectNumber: null,
        resourceDisplayName: 'ACME main billing',
        rootCauses: [
          {
            causeType: 'CAUSE_TYPE_PROJECT',
            displayName: 'acme-ml-training',
            resource: 'projects/acme-ml-training',
            deviationAmount: 969.5,
            actualSpend: 1011,
            expectedSpend: 41.5,
          },
          {
            causeType: 'CAUSE_TYPE_SERVICE',
            displayName: 'Compute Engine',
            resource: 'services/6F81-5844-456A',
            deviationAmount: 968.1,
            actualSpend: 1004.1,
            expectedSpend: 36,
          },
          {
            causeType: 'CAUSE_TYPE_SKU',
            displayName: 'Nvidia Tesla A100 GPU running in Americas',
            resource: 'services/6F81-5844-456A/skus/7B36-5A1A-2CFA',
            deviationAmount: 563.23,
            actualSpend: 563.23,
            expectedSpend: 0,
          },
          {
            causeType: 'CAUSE_TYPE_SKU',
            displayName: 'A2 Instance Core running in Americas',
            resource: 'services/6F81-5844-456A/skus/2E27-4F75-95CD',
            deviationAmount: 291.23,
            actualSpend: 291.23,
            expectedSpend: 0,
          },
        ],
      },
      raw: response['anomalies'][0],
    });
    const bigquery = signals[1]!;
    assert.deepEqual(
      [bigquery.accountId, bigquery.severity, bigquery.attributes['gpuUsage'], bigquery.attributes['service'], bigquery.cost],
      ['acme-web', 'LOW', false, 'BigQuery', { amount: 23.38, currency: 'USD' }],
    );
  });

  it('versions an anomaly by update time, then by deviation; falls back to amount bands without a severity', () => {
    const anomaly = structuredClone(fixture('anomalies-list-gpu-and-bigquery.json')['anomalies'][0]);
    const [base] = parse(anomaly).signals;
    anomaly.deviation.deviationAmount.units = '1500';
    delete anomaly.severity;
    const [grown] = parse(anomaly).signals;
    assert.ok(grown!.sourceVersion > base!.sourceVersion);
    assert.equal(grown!.severity, 'HIGH', 'USD 1,500.25 is in the HIGH band of aws.cost-anomaly');
    delete anomaly.deviation.deviationAmount;
    const [computed] = parse(anomaly).signals;
    assert.equal(computed!.cost!.amount, 974.25, 'actual minus expected spend');
  });

  it('reads BigQuery TIMESTAMP text in the forms exports, the API and the CLI use', () => {
    for (const text of [
      '2024-05-12 22:00:00 UTC',
      '2024-05-12 22:00:00.000000 UTC',
      '2024-05-12T22:00:00Z',
      '2024-05-12 22:00:00',
      '2024-05-12 23:00:00+01:00',
      '2024-05-12 23:00:00+01',
    ]) {
      assert.equal(parseBigQueryTimestamp(text)?.toISOString(), '2024-05-12T22:00:00.000Z', text);
    }
    assert.equal(parseBigQueryTimestamp('2024-02-30 00:00:00 UTC'), null);
  });

  it('names every bad row and anomaly by index and pointer', () => {
    assert.deepEqual(issuesOf(fixture('rows-and-anomaly-malformed.json')), [
      { index: 1, field: '/1/usage_start_time', message: 'must be a BigQuery TIMESTAMP such as "2024-05-12 22:00:00 UTC" or ISO 8601' },
      { index: 1, field: '/1/cost', message: 'must be a number, got string' },
      { index: 1, field: '/1/currency', message: 'is required' },
      { index: 2, field: '/2/detectionTime', message: 'is required' },
      { index: 2, field: '/2/deviation/deviationAmount/units', message: 'must be a whole number' },
    ]);
  });

  it('points at the BigQuery cell of a bad value in a query response', () => {
    const response = fixture('query-response-detailed.json');
    response['rows'][1].f[7].v = 'n/a';
    response['rows'][0].f[9].v[0].v.f[1].v = 'minus';
    response['rows'][0].f[3].v = 'soon';
    assert.deepEqual(issuesOf(response), [
      { index: 0, field: '/rows/0/f/3/v', message: 'must be a BigQuery TIMESTAMP such as "2024-05-12 22:00:00 UTC" or ISO 8601' },
      { index: 0, field: '/rows/0/f/9/v/0/v/f/1/v', message: 'must be a number, got string' },
      { index: 1, field: '/rows/1/f/7/v', message: 'must be a number, got string' },
    ]);
  });

  it('refuses tabledata.list rows without a schema and unfinished queries', () => {
    const response = fixture('query-response-detailed.json');
    const tabledata = { kind: 'bigquery#tableDataList', etag: 'Wm9j5Q4A4V5nmWCzE2gT0g==', totalRows: '2', rows: response['rows'] };
    assert.deepEqual(issuesOf(tabledata), [
      {
        index: null,
        field: '/schema',
        message:
          'is required: tabledata.list rows carry no column names; send a jobs.query or jobs.getQueryResults response, or add the table schema',
      },
    ]);
    assert.deepEqual(parse({ ...tabledata, schema: response['schema'] }).costRows, [gpuRow, coreRow]);
    assert.deepEqual(issuesOf({ kind: 'bigquery#getQueryResultsResponse', jobComplete: false, jobReference: response['jobReference'] }), [
      {
        index: null,
        field: '/jobComplete',
        message: 'the query has not finished: send the response of jobs.getQueryResults once jobComplete is true',
      },
    ]);
    assert.deepEqual(parse({ kind: 'bigquery#queryResponse', schema: response['schema'], totalRows: '0', jobComplete: true }), {
      signals: [],
      ignored: 0,
      costRows: [],
    });
  });

  it('rejects a row billed to no project and no account', () => {
    const row = structuredClone(fixture('standard-export-rows.json')[2]);
    delete row.billing_account_id;
    assert.deepEqual(issuesOf([row]), [{ index: 0, field: '/0/project/id', message: 'is required (or billing_account_id)' }]);
    assert.deepEqual(issuesOf('rows'), [{ index: null, field: '', message: 'expected a JSON object or array, got string' }]);
  });
});
