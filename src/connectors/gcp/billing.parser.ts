/**
 * `gcp.billing`: Cloud Billing export rows and Cloud Billing anomalies.
 *
 * Rows (standard `gcp_billing_export_v1_*` and detailed `gcp_billing_export_resource_v1_*` tables)
 * become daily cost rows, not signals: MineWatch's own detector finds spikes in them. They arrive as
 * - JSON rows, one or an array, or NDJSON as a BigQuery extract writes it (TIMESTAMPs as
 *   `2024-05-12 22:00:00 UTC`);
 * - a BigQuery `jobs.query` / `jobs.getQueryResults` response (`{schema: {fields}, rows: [{f: [{v}]}]}`),
 *   whose TIMESTAMPs are float seconds, int64 microseconds or ISO strings depending on `formatOptions`.
 *   A `tabledata.list` response carries no schema, so its rows cannot be named and are refused unless
 *   the body adds the table's `schema`.
 *
 * Anomalies (Cloud Billing API v1beta, `billingAccounts/{id}/anomalies` and `projects/{id}/anomalies`:
 * an Anomaly or a ListAnomalies response `{anomalies: [...], nextPageToken}`) become `cost_anomaly`
 * signals like `aws.cost-anomaly`'s.
 */
import { z } from 'zod';

import { costAnomalySeverity } from '#src/connectors/aws/cost-anomaly.parser.js';
import {
  asString,
  dig,
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalIsoDateString,
  optionalNumber,
  optionalString,
  own,
  padCount,
  parseIsoDate,
  requiredString,
  unwrapList,
  type Item,
  type JsonObject,
  type PathSegment,
} from '#src/connectors/common.js';
import { skuBillsGpu } from '#src/connectors/gcp/gcp-taxonomy.js';
import { computeInstanceId, isProjectNumber, projectOf, regionOf, resourceFromName } from '#src/connectors/gcp/resource-names.js';
import type { CostRow, Parser, Severity, Signal } from '#src/connectors/signal.js';

export const BILLING_SOURCE = 'gcp.billing';

// ---------------------------------------------------------------------------------------------
// Values as BigQuery writes them

const describe = (input: unknown): string => (input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input);

/** FLOAT64 columns are numbers in JSON exports and strings in API responses. */
function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i.test(value)) return Number(value);
  return null;
}

const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)\s*(UTC|Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A BigQuery TIMESTAMP as text: `2024-05-12 22:00:00 UTC` (extracts and the console), ISO 8601, or
 * a zone-less `2024-05-12 22:00:00` (the bq CLI), which is UTC because TIMESTAMPs always are.
 */
export function parseBigQueryTimestamp(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = TIMESTAMP_TEXT.exec(value.trim());
  if (!m) return parseIsoDate(value);
  const zone = !m[3] || /^(?:utc|z)$/i.test(m[3]) ? 'Z' : m[3].length === 3 ? `${m[3]}:00` : m[3];
  return parseIsoDate(`${m[1]}T${m[2]}${zone}`);
}

const TIMESTAMP_MESSAGE = 'must be a BigQuery TIMESTAMP such as "2024-05-12 22:00:00 UTC" or ISO 8601';

const bqTimestamp = z.custom<string>((v) => parseBigQueryTimestamp(v) !== null, {
  error: (i) => (i.input === undefined ? 'is required' : TIMESTAMP_MESSAGE),
});

const bqNumber = z.custom<number | string>((v) => toNumber(v) !== null, {
  error: (i) => (i.input === undefined ? 'is required' : `must be a number, got ${describe(i.input)}`),
});

const nullableString = optionalString.nullable();
const objectError = { error: (i: { input: unknown }) => `must be an object, got ${describe(i.input)}` };

const rowSchema = z.looseObject(
  {
    billing_account_id: nullableString,
    service: z.looseObject(
      { id: nullableString, description: requiredString },
      { error: (i) => (i.input === undefined ? 'is required' : `must be an object, got ${describe(i.input)}`) },
    ),
    sku: z.looseObject({ id: nullableString, description: nullableString }, objectError).nullish(),
    usage_start_time: bqTimestamp,
    usage_end_time: bqTimestamp.nullish(),
    project: z.looseObject({ id: nullableString, name: nullableString }, objectError).nullish(),
    location: z
      .looseObject({ location: nullableString, country: nullableString, region: nullableString, zone: nullableString }, objectError)
      .nullish(),
    resource: z.looseObject({ name: nullableString, global_name: nullableString }, objectError).nullish(),
    cost: bqNumber,
    currency: requiredString,
    credits: z
      .array(z.looseObject({ amount: bqNumber, name: nullableString, type: nullableString }, { error: 'must be an object' }), {
        error: 'must be an array',
      })
      .nullish(),
    cost_type: nullableString,
  },
  { error: 'a billing export row must be a JSON object' },
);

type Row = z.infer<typeof rowSchema>;

// ---------------------------------------------------------------------------------------------
// BigQuery API responses: rows as {f: [{v}]} named by the schema

interface BqField {
  name: string;
  type: string;
  mode?: string;
  fields?: BqField[];
}

function schemaFields(value: unknown): BqField[] | null {
  if (!Array.isArray(value)) return null;
  const fields: BqField[] = [];
  for (const f of value) {
    const name = asString(dig(f, 'name'));
    const type = asString(dig(f, 'type'));
    if (!name || !type) return null;
    const nested = dig(f, 'fields');
    const sub = nested === undefined ? undefined : schemaFields(nested);
    if (sub === null) return null;
    fields.push({ name, type: type.toUpperCase(), mode: asString(dig(f, 'mode'))?.toUpperCase(), ...(sub ? { fields: sub } : {}) });
  }
  return fields;
}

/** TIMESTAMP cells: int64 microseconds (`useInt64Timestamp`), float seconds (the default), or ISO text. */
function bqTimestampCell(v: string): string {
  if (/^-?\d+$/.test(v)) return new Date(Number(v) / 1000).toISOString();
  if (/^-?\d*\.?\d+(?:e[+-]?\d+)?$/i.test(v)) return new Date(Number(v) * 1000).toISOString();
  return v;
}

class CellError extends Error {
  constructor(
    readonly path: PathSegment[],
    message: string,
  ) {
    super(message);
  }
}

function decodeCell(field: BqField, v: unknown, path: PathSegment[]): unknown {
  if (v === null || v === undefined) return null;
  if (field.fields) {
    const f = dig(v, 'f');
    if (!Array.isArray(f)) throw new CellError([...path, 'f'], 'must be an array of cells for a RECORD');
    return decodeRecord(field.fields, f, [...path, 'f']);
  }
  if (typeof v !== 'string') return v;
  switch (field.type) {
    case 'INTEGER':
    case 'INT64':
    case 'FLOAT':
    case 'FLOAT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return toNumber(v) ?? v;
    case 'BOOLEAN':
    case 'BOOL':
      return v === 'true' ? true : v === 'false' ? false : v;
    case 'TIMESTAMP':
      return bqTimestampCell(v);
    default:
      return v;
  }
}

function decodeRecord(fields: BqField[], cells: unknown[], path: PathSegment[]): JsonObject {
  const out: JsonObject = {};
  fields.forEach((field, i) => {
    const v = dig(cells[i], 'v');
    const at = [...path, i, 'v'];
    if (field.mode === 'REPEATED') {
      if (!Array.isArray(v)) throw new CellError(at, 'must be an array for a REPEATED field');
      out[field.name] = v.map((el, j) => decodeCell(field, dig(el, 'v'), [...at, j, 'v']));
    } else {
      out[field.name] = decodeCell(field, v, at);
    }
  });
  return out;
}

/** Maps a path in a decoded row (`credits/0/amount`) back to its cell (`f/18/v/0/v/f/1/v`). */
function cellPath(fields: BqField[], path: readonly PathSegment[]): PathSegment[] {
  const out: PathSegment[] = [];
  let current: BqField[] | undefined = fields;
  for (let i = 0; i < path.length; i += 1) {
    const index: number = current ? current.findIndex((f) => f.name === path[i]) : -1;
    if (!current || index < 0) return [...out, ...path.slice(i)];
    const field: BqField = current[index]!;
    out.push('f', index, 'v');
    if (field.mode === 'REPEATED' && typeof path[i + 1] === 'number') {
      out.push(path[i + 1]!, 'v');
      i += 1;
    }
    current = field.fields;
  }
  return out;
}

interface RowItem extends Item {
  /** For rows of a BigQuery API response: how to point at a cell. */
  fields?: BqField[];
}

const BIGQUERY_KINDS = ['bigquery#queryResponse', 'bigquery#getQueryResultsResponse', 'bigquery#tableDataList'];

function isBigQueryResponse(body: unknown): body is JsonObject {
  if (!isObject(body)) return false;
  const kind = own(body, 'kind');
  return (typeof kind === 'string' && BIGQUERY_KINDS.includes(kind)) || (Array.isArray(own(body, 'rows')) && isObject(own(body, 'schema')));
}

function bigQueryRows(body: JsonObject, issues: IssueList): RowItem[] {
  if (own(body, 'jobComplete') === false) {
    issues.add(null, '/jobComplete', 'the query has not finished: send the response of jobs.getQueryResults once jobComplete is true');
    return [];
  }
  const rows = own(body, 'rows') ?? [];
  if (!Array.isArray(rows)) {
    issues.add(null, '/rows', `must be an array, got ${describe(rows)}`);
    return [];
  }
  const fields = schemaFields(dig(body, 'schema', 'fields'));
  if (!fields) {
    issues.add(
      null,
      '/schema',
      own(body, 'kind') === 'bigquery#tableDataList' && dig(body, 'schema') === undefined
        ? 'is required: tabledata.list rows carry no column names; send a jobs.query or jobs.getQueryResults response, or add the table schema'
        : 'must be {"fields": [{"name", "type", "mode", "fields"}]}',
    );
    return [];
  }
  return rows.flatMap((row, index) => {
    const pointer = joinPointer('', ['rows', index]);
    const cells = dig(row, 'f');
    if (!Array.isArray(cells)) {
      issues.add(index, joinPointer(pointer, ['f']), 'must be an array of cells');
      return [];
    }
    try {
      return [{ value: decodeRecord(fields, cells, []), index, pointer, fields }];
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      issues.add(index, joinPointer(pointer, error.path), error.message);
      return [];
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Rows → cost rows

const round = (n: number): number => Number(n.toFixed(10));

/**
 * The row's resource in the id other GCP sources use. Detailed exports name a VM as
 * `//compute.googleapis.com/projects/{project number}/zones/{zone}/instances/{instance id}`; SCC,
 * audit logs and Monitoring name it by project id and instance name, so those are substituted when
 * the row has them. Other resources keep their global name.
 */
function resourceIdOf(row: Row): string | null {
  const globalName = row.resource?.global_name;
  if (!globalName) return null;
  const projectId = row.project?.id ?? null;
  const named = resourceFromName(globalName, { project: projectId });
  if (named?.type !== 'gcp.compute.instance') return globalName;
  const [, zone = '', instance = ''] = /\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(named.id) ?? [];
  const name = row.resource?.name;
  return /^\d+$/.test(instance) && name && !/^\d+$/.test(name) ? computeInstanceId(named.project, zone, name) : named.id;
}

function toCostRow(row: Row, item: RowItem, issues: IssueList): CostRow | null {
  const accountId = row.project?.id ?? row.billing_account_id ?? null;
  if (!accountId) {
    issues.add(
      item.index,
      joinPointer(item.pointer, item.fields ? cellPath(item.fields, ['project', 'id']) : ['project', 'id']),
      'is required (or billing_account_id)',
    );
    return null;
  }
  const credits = (row.credits ?? []).reduce((sum, c) => sum + toNumber(c.amount)!, 0);
  const location = row.location;
  return {
    source: BILLING_SOURCE,
    provider: 'gcp',
    accountId,
    service: row.service.description,
    region: regionOf(location?.region) ?? regionOf(location?.zone) ?? regionOf(location?.location),
    resourceId: resourceIdOf(row),
    usageType: row.sku?.description ?? null,
    day: parseBigQueryTimestamp(row.usage_start_time)!.toISOString().slice(0, 10),
    amount: round(toNumber(row.cost)! + credits),
    currency: row.currency,
  };
}

// ---------------------------------------------------------------------------------------------
// Anomalies → signals

const int64 = z.union([z.number(), z.string().regex(/^-?\d+$/, 'must be a whole number')], { error: 'must be a whole number' });

const moneySchema = z.looseObject(
  { currencyCode: optionalString, units: int64.optional(), nanos: optionalNumber },
  { error: 'must be an object' },
);

const deviationSchema = z.looseObject(
  {
    actualSpend: moneySchema.optional(),
    expectedSpend: moneySchema.optional(),
    deviationAmount: moneySchema.optional(),
    deviationPercentage: optionalNumber,
  },
  { error: (i) => (i.input === undefined ? 'is required' : 'must be an object') },
);

const causeSchema = z.looseObject(
  {
    causeType: optionalString,
    displayName: optionalString,
    resource: optionalString,
    deviation: deviationSchema.optional(),
    subCauses: z.array(z.unknown(), { error: 'must be an array' }).optional(),
  },
  { error: 'must be an object' },
);

const anomalySchema = z.looseObject(
  {
    name: requiredString,
    detectionTime: isoDateString,
    updateTime: optionalIsoDateString,
    deviation: deviationSchema,
    resourceDisplayName: optionalString,
    rootCauses: z.array(causeSchema, { error: 'must be an array' }).optional(),
    scope: optionalString,
    severity: optionalString,
  },
  { error: 'a Cloud Billing anomaly must be a JSON object' },
);

type Anomaly = z.infer<typeof anomalySchema>;
type Money = z.infer<typeof moneySchema>;
type Cause = z.infer<typeof causeSchema>;

/** google.type.Money: whole `units` (int64, a string in JSON) plus `nanos`. */
function moneyAmount(money: Money | undefined): number | null {
  if (!money) return null;
  return round(Number(money.units ?? 0) + (money.nanos ?? 0) / 1e9);
}

const ANOMALY_SEVERITIES: Readonly<Record<string, Severity>> = {
  ANOMALY_SEVERITY_HIGH: 'HIGH',
  ANOMALY_SEVERITY_MEDIUM: 'MEDIUM',
  ANOMALY_SEVERITY_LOW: 'LOW',
};

/** Root causes and their sub causes, flattened; sub causes are read leniently (their schema repeats the cause's). */
function flattenCauses(causes: readonly unknown[], depth = 0): Cause[] {
  if (depth > 8) return [];
  return causes.flatMap((c) => {
    const parsed = causeSchema.safeParse(c);
    if (!parsed.success) return [];
    return [parsed.data, ...flattenCauses(parsed.data.subCauses ?? [], depth + 1)];
  });
}

function largest(causes: Cause[], type: string): Cause | null {
  let best: Cause | null = null;
  for (const cause of causes) {
    if (cause.causeType !== type) continue;
    if (best === null || (moneyAmount(cause.deviation?.deviationAmount) ?? 0) > (moneyAmount(best.deviation?.deviationAmount) ?? 0))
      best = cause;
  }
  return best;
}

function toAnomalySignal(anomaly: Anomaly, item: Item, issues: IssueList): Signal | null {
  const deviation = anomaly.deviation;
  const actual = moneyAmount(deviation.actualSpend);
  const expected = moneyAmount(deviation.expectedSpend);
  const amount = moneyAmount(deviation.deviationAmount) ?? (actual !== null && expected !== null ? round(actual - expected) : null);
  if (amount === null) {
    issues.add(item.index, joinPointer(item.pointer, ['deviation']), 'needs deviationAmount, or actualSpend and expectedSpend');
    return null;
  }
  const currency = deviation.deviationAmount?.currencyCode || deviation.actualSpend?.currencyCode || deviation.expectedSpend?.currencyCode;
  if (!currency) {
    issues.add(item.index, joinPointer(item.pointer, ['deviation', 'deviationAmount', 'currencyCode']), 'is required');
    return null;
  }
  const causes = flattenCauses(anomaly.rootCauses ?? []);
  const projectCause = largest(causes, 'CAUSE_TYPE_PROJECT');
  const service = largest(causes, 'CAUSE_TYPE_SERVICE');
  const sku = largest(causes, 'CAUSE_TYPE_SKU');
  const billingAccountId = /^billingAccounts\/([^/]+)/.exec(anomaly.name)?.[1] ?? null;
  // A project-scoped anomaly is named after its project; a billing-account one names projects only
  // among its causes. Failing both, the billing account stands in for the project.
  const accountId = projectOf(anomaly.name) ?? projectOf(projectCause?.resource) ?? billingAccountId ?? anomaly.name;
  const detected = parseIsoDate(anomaly.detectionTime)!;
  const updated = parseIsoDate(anomaly.updateTime) ?? detected;
  // detectionTime is midnight (Google time) of the day the anomaly covers.
  const until = new Date(detected.getTime() + 86_400_000 - 1);
  const where = [service?.displayName, sku?.displayName].filter(Boolean).join(', ');

  return {
    source: BILLING_SOURCE,
    sourceId: anomaly.name,
    // The API updates an anomaly as its day's spend settles: a later update, then a larger deviation
    // (in cents, zero-padded), make a greater version.
    sourceVersion: `${updated.toISOString()}#${padCount(Math.max(0, Math.round(amount * 100)), 15)}`,
    kind: 'cost_anomaly',
    provider: 'gcp',
    accountId,
    region: null,
    observedAt: detected.toISOString(),
    observedUntil: until.toISOString(),
    severity: ANOMALY_SEVERITIES[anomaly.severity ?? ''] ?? costAnomalySeverity(amount),
    title: `Cost anomaly: ${amount.toFixed(2)} ${currency} above expected spend${where ? ` (${where})` : ''}`,
    mining: false,
    resources: [],
    principal: null,
    cost: { amount, currency },
    attributes: {
      service: service?.displayName ?? null,
      usageType: sku?.displayName ?? null,
      gpuUsage: causes.some((c) => c.causeType === 'CAUSE_TYPE_SKU' && !!c.displayName && skuBillsGpu(c.displayName)),
      expectedSpend: expected,
      actualSpend: actual,
      totalImpact: amount,
      totalImpactPercentage: deviation.deviationPercentage ?? null,
      scope: anomaly.scope ?? null,
      anomalySeverity: anomaly.severity ?? null,
      billingAccountId,
      projectNumber: [projectOf(anomaly.name), projectOf(projectCause?.resource)].find((p) => p && isProjectNumber(p)) ?? null,
      resourceDisplayName: anomaly.resourceDisplayName ?? null,
      rootCauses: causes.map((c) => ({
        causeType: c.causeType ?? null,
        displayName: c.displayName ?? null,
        resource: c.resource ?? null,
        deviationAmount: moneyAmount(c.deviation?.deviationAmount),
        actualSpend: moneyAmount(c.deviation?.actualSpend),
        expectedSpend: moneyAmount(c.deviation?.expectedSpend),
      })),
    },
    raw: item.value,
  };
}

function isAnomaly(value: unknown): boolean {
  return (
    isObject(value) &&
    (Object.hasOwn(value, 'deviation') || /^(?:billingAccounts|projects)\/[^/]+\/anomalies\//.test(asString(own(value, 'name')) ?? ''))
  );
}

export const parseBilling: Parser = (body) => {
  const issues = new IssueList();
  const signals: Signal[] = [];
  const costRows: CostRow[] = [];
  const items: RowItem[] = isBigQueryResponse(body) ? bigQueryRows(body, issues) : unwrapList(body, ['anomalies'], issues);
  for (const item of items) {
    if (!item.fields && isAnomaly(item.value)) {
      const result = anomalySchema.safeParse(item.value);
      if (!result.success) issues.addZod(result.error, item);
      const signal = result.success ? toAnomalySignal(result.data, item, issues) : null;
      if (signal) signals.push(signal);
      continue;
    }
    const result = rowSchema.safeParse(item.value);
    if (!result.success) {
      if (item.fields) {
        const fields = item.fields;
        for (const issue of result.error.issues) {
          issues.add(
            item.index,
            joinPointer(
              item.pointer,
              cellPath(
                fields,
                issue.path.map((s) => (typeof s === 'number' ? s : String(s))),
              ),
            ),
            issue.message,
          );
        }
      } else {
        issues.addZod(result.error, item);
      }
      continue;
    }
    const row = toCostRow(result.data, item, issues);
    if (row) costRows.push(row);
  }
  issues.throwIfAny();
  return { signals, ignored: 0, costRows };
};
