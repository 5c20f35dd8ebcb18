/**
 * `focus`: FinOps FOCUS cost and usage rows (FOCUS 1.0 to 1.3) from any cloud, as daily cost rows.
 * No signals: MineWatch's cost detector turns spikes in the daily series into `cost_anomaly`
 * signals. Accepts
 * - a CSV export (`text/csv`; the header names the columns, `NULL` or an empty field is a null),
 * - the same rows as JSON: an array of objects, or NDJSON (one object per line).
 *
 * Only `Usage` rows are kept: purchases, taxes, credits and adjustments would read as spikes while
 * nothing ran. Rows of providers other than AWS, Azure and Google Cloud (Oracle, SaaS vendors) are
 * counted as ignored. Column names are matched case-insensitively (some warehouses lower-case them).
 */
import { parse as parseCsv } from 'csv-parse/sync';

import { IssueList, isObject, joinPointer, parseIsoDate } from '#src/connectors/common.js';
import { azureRegion, subscriptionOf } from '#src/connectors/azure/arm.js';
import { resourceFromName } from '#src/connectors/gcp/resource-names.js';
import { csvHeader, csvRow, FOCUS_CSV_OPTIONS, type CsvRecord } from '#src/connectors/focus/focus-csv.js';
import type { CostRow, ParseContext, Parser, Provider, ValidationIssue } from '#src/connectors/signal.js';

export const FOCUS_SOURCE = 'focus';

/** The columns read, lower case. */
const C = {
  billedCost: 'billedcost',
  effectiveCost: 'effectivecost',
  currency: 'billingcurrency',
  start: 'chargeperiodstart',
  end: 'chargeperiodend',
  chargeCategory: 'chargecategory',
  // FOCUS 1.0–1.2 name the provider in ProviderName; 1.3 deprecates it for ServiceProviderName
  // (who sells) and HostProviderName (whose infrastructure it runs on).
  provider: 'providername',
  serviceProvider: 'serviceprovidername',
  hostProvider: 'hostprovidername',
  subAccount: 'subaccountid',
  billingAccount: 'billingaccountid',
  service: 'servicename',
  serviceCategory: 'servicecategory',
  region: 'regionid',
  // FOCUS 0.5 called RegionId `Region`; some 1.0 exports still do.
  legacyRegion: 'region',
  resourceId: 'resourceid',
  skuId: 'skuid',
  skuPriceId: 'skupriceid',
  skuMeter: 'skumeter',
  skuPriceDetails: 'skupricedetails',
  // Provider extension columns that name the SKU better than the opaque SkuId: AWS Data Exports
  // `x_UsageType` (`USE1-BoxUsage:p3.8xlarge`), Azure cost exports `x_SkuMeterName`,
  // `x_SkuDescription` and `x_SkuDetails` (JSON holding the VM size as `ServiceType`).
  usageType: 'x_usagetype',
  meterName: 'x_skumetername',
  skuDescription: 'x_skudescription',
  skuDetails: 'x_skudetails',
} as const;

/** Columns a dataset cannot do without, each as alternatives (any one of them will do). */
const REQUIRED: ReadonlyArray<{ any: readonly string[]; names: string }> = [
  { any: [C.start], names: 'ChargePeriodStart' },
  { any: [C.currency], names: 'BillingCurrency' },
  { any: [C.effectiveCost, C.billedCost], names: 'EffectiveCost or BilledCost' },
  { any: [C.serviceProvider, C.provider, C.hostProvider], names: 'ServiceProviderName (FOCUS 1.3) or ProviderName (1.0–1.2)' },
  { any: [C.subAccount, C.billingAccount], names: 'SubAccountId or BillingAccountId' },
];

/** Problems with a CSV header: every required column it lacks, as one issue each. */
export function focusHeaderIssues(header: readonly string[]): ValidationIssue[] {
  const present = new Set(header.map((h) => h.trim().toLowerCase()));
  return REQUIRED.filter((r) => !r.any.some((c) => present.has(c))).map((r) => ({
    index: null,
    field: '',
    message: `the CSV header has no ${r.names} column; is this a FOCUS cost and usage export?`,
  }));
}

// ---------------------------------------------------------------------------------------------
// Values

interface Cell {
  value: unknown;
  /** The column as the body spells it. */
  column: string;
}

interface Row {
  index: number;
  pointer: string;
  /** CSV line of the row, to name it in messages; null for JSON rows. */
  line: number | null;
  cells: Map<string, Cell>;
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Costs are decimals; exports write them as JSON numbers or as strings (BigQuery, CSV). */
function decimal(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !DECIMAL.test(value.trim())) return null;
  return Number(value.trim());
}

const ZONELESS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?$/;

/**
 * FOCUS date-times are UTC (`2024-09-10T12:00:00Z`). Real exports also write them without the zone
 * (`2024-09-10 12:00:00`, as in the FOCUS 1.0 sample data); the spec says every value is UTC, so
 * those are read as UTC. Impossible dates are refused.
 */
export function focusDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  const zoned = parseIsoDate(trimmed);
  if (zoned) return zoned;
  const m = ZONELESS.exec(trimmed);
  if (!m) return null;
  return parseIsoDate(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}Z`);
}

/**
 * The cloud a provider name stands for. FOCUS leaves the spelling to the provider: AWS writes
 * `AWS` (earlier `Amazon Web Services`), Azure `Microsoft`, Google `Google Cloud` (the sample data
 * `Google`). Anything else (Oracle, a SaaS vendor) is not a cloud MineWatch watches.
 */
export function cloudOf(name: string | null): Provider | null {
  if (!name) return null;
  const n = name.trim().toLowerCase();
  if (n === 'aws' || n === 'amazon' || n.startsWith('amazon web services')) return 'aws';
  if (n === 'microsoft' || n === 'azure' || n.startsWith('microsoft azure') || n.startsWith('microsoft corporation')) return 'azure';
  if (n === 'google' || n === 'gcp' || n.startsWith('google cloud') || n === 'google llc') return 'gcp';
  return null;
}

/** `subscriptions/{id}` (Azure writes SubAccountId as a resource id) or a bare id, in lower case as the Azure parsers report it. */
function accountOf(provider: Provider, value: string): string {
  if (provider !== 'azure') return value;
  return subscriptionOf(value) ?? value.toLowerCase();
}

function regionOf(provider: Provider, value: string | null): string | null {
  if (!value) return null;
  if (provider === 'azure') return azureRegion(value);
  const lower = value.toLowerCase();
  return lower === 'global' ? null : lower;
}

const EC2_INSTANCE_ARN = /^arn:aws[a-z-]*:ec2:[^:]*:\d*:instance\/(i-[0-9a-f]+)$/;

/**
 * The resource in the id the other sources of the same cloud use, so that cost links to findings:
 * an EC2 instance by its instance id (some exports give its ARN), a GCP resource by its canonical
 * full name with the project id. Anything else keeps the provider's own id.
 */
function resourceOf(provider: Provider, value: string | null, accountId: string): string | null {
  if (!value) return null;
  if (provider === 'aws') return EC2_INSTANCE_ARN.exec(value)?.[1] ?? value;
  if (provider === 'gcp' && value.startsWith('//')) return resourceFromName(value, { project: accountId })?.id ?? value;
  return value;
}

const SIZE_KEYS = ['ServiceType', 'serviceType', 'VMSize', 'vmSize', 'InstanceType', 'instanceType'];

/** An instance size named inside a JSON column (`x_SkuDetails`, `SkuPriceDetails`). */
function sizeIn(value: unknown): string | null {
  let details: unknown = value;
  if (typeof value === 'string') {
    if (!value.trimStart().startsWith('{')) return null;
    try {
      details = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!isObject(details)) return null;
  for (const key of SIZE_KEYS) {
    const size = Object.hasOwn(details, key) ? text(details[key]) : null;
    if (size) return size;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Bodies → rows

/** A row of the body, or what is wrong with it as a row; kept in body order so issues come out in order. */
type Entry = { row: Row; issue?: undefined } | { row?: undefined; issue: ValidationIssue };

/** The columns the parser reads, lower case: a streaming reader may drop the others. */
export const FOCUS_COLUMNS_READ: ReadonlySet<string> = new Set(Object.values(C));
const READ = FOCUS_COLUMNS_READ;
// Rows of one export share their column names: lower-casing each name once keeps a gigabyte of
// rows from lower-casing the same 60 names millions of times.
const lowerCased = new Map<string, string>();
function lower(column: string): string {
  let key = lowerCased.get(column);
  if (key === undefined) {
    key = column.toLowerCase();
    if (lowerCased.size < 10_000) lowerCased.set(column, key);
  }
  return key;
}

function rowOf(value: unknown, index: number, pointer: string, line: number | null): Entry {
  if (!isObject(value)) {
    const got = Array.isArray(value) ? 'an array' : describe(value);
    return { issue: { index, field: pointer, message: `a FOCUS row must be a JSON object, got ${got}` } };
  }
  const cells = new Map<string, Cell>();
  for (const column of Object.keys(value)) {
    const key = lower(column);
    if (READ.has(key) && !cells.has(key)) cells.set(key, { value: value[column], column });
  }
  return { row: { index, pointer, line, cells } };
}

function csvEntries(body: string, issues: IssueList): Entry[] {
  let records: CsvRecord[];
  try {
    records = parseCsv(body, FOCUS_CSV_OPTIONS) as unknown as CsvRecord[];
  } catch (error) {
    issues.add(null, '', `not valid CSV: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  const [first, ...data] = records;
  if (!first) {
    issues.add(null, '', 'the CSV has no header line');
    return [];
  }
  const header = csvHeader(first);
  const headerIssues = focusHeaderIssues(header);
  if (headerIssues.length > 0) {
    headerIssues.forEach((i) => issues.add(i.index, i.field, i.message));
    return [];
  }
  return data.map((record, index) => {
    const result = csvRow(header, record, index);
    return result.issue ? { issue: result.issue } : rowOf(result.row, index, `/${index}`, record.info.lines);
  });
}

function entriesOf(body: unknown, issues: IssueList): Entry[] {
  if (typeof body === 'string') {
    if (body.trim() === '') {
      issues.add(null, '', 'the body is empty');
      return [];
    }
    return csvEntries(body, issues);
  }
  if (Array.isArray(body)) return body.map((value, index) => rowOf(value, index, `/${index}`, null));
  if (isObject(body)) return [rowOf(body, 0, '', null)];
  issues.add(null, '', `expected FOCUS rows (CSV text, a JSON array of rows or NDJSON), got ${describe(body)}`);
  return [];
}

// ---------------------------------------------------------------------------------------------
// Rows → cost rows

type Outcome = { row: CostRow } | { ignored: true } | { failed: true };

function toCostRow(row: Row, issues: IssueList): Outcome {
  const cell = (key: string): Cell | undefined => row.cells.get(key);
  const value = (key: string): string | null => text(cell(key)?.value);
  const where = (key: string, spelled: string): string => joinPointer(row.pointer, [cell(key)?.column ?? spelled]);
  const at = row.line === null ? '' : ` (CSV line ${row.line})`;
  const fail = (key: string, spelled: string, message: string): void => issues.add(row.index, where(key, spelled), message + at);

  const category = value(C.chargeCategory);
  if (category !== null && category.toLowerCase() !== 'usage') return { ignored: true };

  const named = [value(C.serviceProvider), value(C.provider), value(C.hostProvider)];
  if (named.every((n) => n === null)) {
    const key = [C.serviceProvider, C.provider, C.hostProvider].find((k) => cell(k)) ?? C.provider;
    fail(
      key,
      cell(key)?.column ?? 'ProviderName',
      'is required: FOCUS 1.3 names the provider in ServiceProviderName, 1.0–1.2 in ProviderName',
    );
    return { failed: true };
  }
  // The seller when it is a cloud; otherwise the cloud it runs on (a marketplace product, an MSP's
  // resale), whose account the spend lands in.
  const provider = cloudOf(named[0]) ?? cloudOf(named[1]) ?? cloudOf(named[2]);
  if (provider === null) return { ignored: true };

  const failed = issues.count;
  let amount: number | null = null;
  const effective = cell(C.effectiveCost);
  const billed = cell(C.billedCost);
  // EffectiveCost spreads commitment purchases over the usage they cover; BilledCost would show a
  // reserved instance as free and its purchase month as a spike.
  for (const c of [effective, billed]) {
    if (c === undefined || c.value === null || c.value === undefined) continue;
    amount = decimal(c.value);
    if (amount === null)
      issues.add(row.index, joinPointer(row.pointer, [c.column]), `${c.column} must be a decimal number, got ${describe(c.value)}${at}`);
    break;
  }
  if (amount === null && issues.count === failed)
    fail(C.effectiveCost, 'EffectiveCost', 'is required (or BilledCost): the row has no cost');

  const currencyText = value(C.currency)?.toUpperCase() ?? null;
  if (currencyText === null || !/^[A-Z]{3}$/.test(currencyText)) {
    fail(C.currency, 'BillingCurrency', `must be an ISO 4217 currency code such as USD, got ${describe(cell(C.currency)?.value)}`);
  }

  const startCell = cell(C.start);
  const start = focusDateTime(startCell?.value);
  if (start === null) {
    fail(C.start, 'ChargePeriodStart', `must be a UTC date-time such as 2024-09-10T12:00:00Z, got ${describe(startCell?.value)}`);
  }
  const endCell = cell(C.end);
  if (endCell && endCell.value !== null && endCell.value !== undefined) {
    const end = focusDateTime(endCell.value);
    if (end === null)
      fail(C.end, 'ChargePeriodEnd', `must be a UTC date-time such as 2024-09-10T13:00:00Z, got ${describe(endCell.value)}`);
    else if (start !== null && end.getTime() < start.getTime()) fail(C.end, 'ChargePeriodEnd', 'must not be before ChargePeriodStart');
  }

  // SubAccountId may be null for charges that belong to the billing account as a whole.
  const accountText = value(C.subAccount) ?? value(C.billingAccount);
  if (accountText === null) fail(C.subAccount, 'SubAccountId', 'is required (or BillingAccountId): the row names no account');
  if (issues.count > failed) return { failed: true };

  const accountId = accountOf(provider, accountText!);
  const usageType =
    value(C.usageType) ??
    sizeIn(cell(C.skuDetails)?.value) ??
    sizeIn(cell(C.skuPriceDetails)?.value) ??
    value(C.skuMeter) ??
    value(C.meterName) ??
    value(C.skuDescription) ??
    value(C.skuId) ??
    value(C.skuPriceId);
  return {
    row: {
      source: FOCUS_SOURCE,
      provider,
      accountId,
      service: value(C.service) ?? value(C.serviceCategory) ?? 'Unknown service',
      region: regionOf(provider, value(C.region) ?? value(C.legacyRegion)),
      resourceId: resourceOf(provider, value(C.resourceId), accountId),
      usageType,
      day: start!.toISOString().slice(0, 10),
      amount: amount!,
      currency: currencyText!,
    },
  };
}

export const parseFocus: Parser = (body: unknown, _ctx: ParseContext) => {
  const issues = new IssueList();
  const costRows: CostRow[] = [];
  let ignored = 0;
  for (const entry of entriesOf(body, issues)) {
    if (entry.issue) {
      issues.add(entry.issue.index, entry.issue.field, entry.issue.message);
      continue;
    }
    const outcome = toCostRow(entry.row, issues);
    if ('row' in outcome) costRows.push(outcome.row);
    else if ('ignored' in outcome) ignored += 1;
  }
  issues.throwIfAny();
  return { signals: [], ignored, costRows };
};
