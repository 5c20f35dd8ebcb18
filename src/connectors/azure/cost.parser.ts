/**
 * `azure.cost`: Azure cost data as daily cost rows (no signals: MineWatch's anomaly detector turns
 * spikes in the daily series into `cost_anomaly` signals, as Azure has no anomaly API). Accepts
 * - Cost Management query responses (`{"properties": {"columns": [{"name", "type"}], "rows": [[…]],
 *   "nextLink"}}`, or `columns`/`rows` at the top level as the SDKs flatten them; one page or an
 *   array of pages) queried with `granularity: Daily`;
 * - cost details exports (EA, MCA, pay-as-you-go, legacy usage): CSV sent as `text/csv` (the body
 *   arrives as a string), the same rows as a JSON array of objects, or a Consumption `usageDetails`
 *   list (`{"value": [{"properties": {…}}]}`).
 * Column names are matched case-insensitively: MCA exports say `costInBillingCurrency`, EA exports
 * `CostInBillingCurrency` or `Cost`, legacy exports `PreTaxCost`.
 */
import { parse as parseCsv } from 'csv-parse/sync';

import { asArray, asString, IssueList, isObject, joinPointer, own, ownAny, type JsonObject } from '#src/connectors/common.js';
import { azureRegion, subscriptionId, subscriptionOf } from '#src/connectors/azure/arm.js';
import type { CostRow, ParseContext, Parser } from '#src/connectors/signal.js';

export const COST_SOURCE = 'azure.cost';

/**
 * Column aliases, lower case, in order of preference. Costs in the billing currency come before
 * their USD twins; `InstanceId` is the legacy exports' name for the ARM resource id.
 */
const COLUMNS = {
  cost: ['costinbillingcurrency', 'cost', 'pretaxcost', 'costinusd', 'costusd'],
  currency: ['billingcurrency', 'billingcurrencycode', 'currency'],
  day: ['usagedate', 'date', 'usagedatetime'],
  subscription: ['subscriptionid', 'subscriptionguid'],
  resourceId: ['resourceid', 'instanceid'],
  region: ['resourcelocation', 'location'],
  service: ['servicename', 'metercategory', 'consumedservice'],
  subCategory: ['metersubcategory'],
  meter: ['metername', 'meter'],
  additionalInfo: ['additionalinfo'],
  chargeType: ['chargetype'],
} as const;

/** Cost columns whose amounts are always in US dollars. */
const USD_COLUMNS = new Set(['costinusd', 'costusd']);

// Queried with Monthly granularity, Cost Management answers with BillingMonth and no day: monthly
// totals would read as one-day spikes in a daily series.
const MONTH_COLUMNS = ['billingmonth'];

/** A cost line before it is checked: each cell with where it sits in the body. */
interface Cell {
  value: unknown;
  /** The column as the body spells it. */
  column: string;
  field: string;
}

interface Line {
  index: number;
  pointer: string;
  cells: Map<string, Cell>;
}

/** The table a body holds: its column names (lower case → as spelled) and its lines. */
interface Table {
  columns: Map<string, string>;
  lines: Line[];
  /** Where to report a problem with the columns themselves, and what to call them there. */
  columnsField: string;
  columnsLabel: string;
}

function pick(columns: Map<string, string>, aliases: readonly string[]): string | null {
  return aliases.find((a) => columns.has(a)) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Values

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isoDay(year: number, month: number, day: number): string | null {
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The UTC day of a cost line: `20240501` (query responses, as a number), `2024-05-01` or
 * `2024-05-01T00:00:00` (a billing day carries no zone: it is the UTC day), an ISO date-time with a
 * zone, or `05/01/2024` (cost exports write US month/day/year).
 */
export function costDay(value: unknown): string | null {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) return isoDay(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (m) return isoDay(Number(m[3]), Number(m[1]), Number(m[2]));
  m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  if (!m) return null;
  const day = isoDay(Number(m[1]), Number(m[2]), Number(m[3]));
  if (!day || !m[7] || m[7] === 'Z') return day;
  const at = new Date(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(at.getTime()) ? null : at.toISOString().slice(0, 10);
}

function costAmount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : null;
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const s = asString(typeof value === 'string' ? value.trim() : value);
  return s && s.length > 0 ? s : null;
}

const AZURE_VM_SIZE = /^(?:standard|basic)_[a-z0-9_-]+$/i;

/** The VM size a cost line's AdditionalInfo names (`{"ServiceType": "Standard_NC24s_v3", …}`). */
function vmSizeOf(value: unknown): string | null {
  let info: unknown = value;
  if (typeof value === 'string') {
    try {
      info = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const size = isObject(info) ? asString(own(info, 'ServiceType') ?? own(info, 'serviceType')) : null;
  return size && AZURE_VM_SIZE.test(size) ? size : null;
}

// ---------------------------------------------------------------------------------------------
// Bodies → tables

const describe = (input: unknown): string => (input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input);

function csvTable(body: string, issues: IssueList): Table | null {
  let records: string[][];
  try {
    records = parseCsv(body, { bom: true, skip_empty_lines: true });
  } catch (error) {
    issues.add(null, '', `not valid CSV: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
  const [header, ...rows] = records;
  if (!header) {
    issues.add(null, '', 'the CSV has no header line');
    return null;
  }
  const columns = new Map(header.map((name) => [name.trim().toLowerCase(), name.trim()] as const));
  const lines = rows.map((row, index) => {
    const cells = new Map<string, Cell>();
    header.forEach((name, i) => {
      const column = name.trim();
      cells.set(column.toLowerCase(), { value: row[i], column, field: joinPointer('', [index, column]) });
    });
    return { index, pointer: `/${index}`, cells };
  });
  return { columns, lines, columnsField: '', columnsLabel: 'the CSV header ' };
}

function queryResponseOf(value: unknown): { properties: JsonObject; pointer: string } | null {
  if (!isObject(value)) return null;
  const properties = own(value, 'properties');
  if (isObject(properties) && Object.hasOwn(properties, 'columns')) return { properties, pointer: '/properties' };
  if (Object.hasOwn(value, 'columns') && Object.hasOwn(value, 'rows')) return { properties: value, pointer: '' };
  return null;
}

/** Pages of query responses; row indexes run on across pages so that each line has its own index. */
function queryTables(pages: { value: unknown; pointer: string }[], issues: IssueList): Table[] {
  const tables: Table[] = [];
  let next = 0;
  for (const page of pages) {
    const response = queryResponseOf(page.value)!;
    const base = page.pointer + response.pointer;
    const columnsField = joinPointer(base, ['columns']);
    const rawColumns = own(response.properties, 'columns');
    const rawRows = own(response.properties, 'rows');
    if (!Array.isArray(rawColumns)) {
      issues.add(null, columnsField, `must be an array, got ${describe(rawColumns)}`);
      continue;
    }
    const names: string[] = [];
    let columnsOk = true;
    rawColumns.forEach((column, i) => {
      const name = isObject(column) ? asString(own(column, 'name')) : null;
      if (name === null) {
        issues.add(null, joinPointer(columnsField, [i, 'name']), 'is required');
        columnsOk = false;
      }
      names.push(name ?? '');
    });
    if (!Array.isArray(rawRows)) {
      issues.add(null, joinPointer(base, ['rows']), `must be an array, got ${describe(rawRows)}`);
      continue;
    }
    if (!columnsOk) continue;
    const columns = new Map(names.map((name) => [name.toLowerCase(), name] as const));
    const lines: Line[] = [];
    rawRows.forEach((row, r) => {
      const index = next++;
      const pointer = joinPointer(base, ['rows', r]);
      if (!Array.isArray(row) || row.length !== names.length) {
        issues.add(index, pointer, `must be an array of ${names.length} values, one per column`);
        return;
      }
      const cells = new Map<string, Cell>();
      names.forEach((name, i) => cells.set(name.toLowerCase(), { value: row[i], column: name, field: joinPointer(pointer, [i]) }));
      lines.push({ index, pointer, cells });
    });
    tables.push({ columns, lines, columnsField, columnsLabel: '' });
  }
  return tables;
}

/** Export rows as JSON objects (or Consumption usageDetails items, whose row is `properties`). */
function objectTable(items: { value: unknown; pointer: string }[], issues: IssueList): Table {
  const columns = new Map<string, string>();
  const lines: Line[] = [];
  items.forEach((item, index) => {
    let row = item.value;
    let pointer = item.pointer;
    if (isObject(row) && isObject(own(row, 'properties'))) {
      row = own(row, 'properties');
      pointer = joinPointer(pointer, ['properties']);
    }
    if (!isObject(row)) {
      issues.add(index, item.pointer, `a cost row must be a JSON object, got ${describe(row)}`);
      return;
    }
    const cells = new Map<string, Cell>();
    for (const [column, value] of Object.entries(row)) {
      const key = column.toLowerCase();
      if (!columns.has(key)) columns.set(key, column);
      if (!cells.has(key)) cells.set(key, { value, column, field: joinPointer(pointer, [column]) });
    }
    lines.push({ index, pointer, cells });
  });
  return { columns, lines, columnsField: '', columnsLabel: 'the rows ' };
}

function tablesOf(body: unknown, issues: IssueList): Table[] {
  if (typeof body === 'string') {
    if (body.trim() === '') {
      issues.add(null, '', 'the body is empty');
      return [];
    }
    const table = csvTable(body, issues);
    return table ? [table] : [];
  }
  if (queryResponseOf(body)) return queryTables([{ value: body, pointer: '' }], issues);
  if (Array.isArray(body)) {
    const items = body.map((value, i) => ({ value, pointer: `/${i}` }));
    if (items.length > 0 && items.every((item) => queryResponseOf(item.value))) return queryTables(items, issues);
    return [objectTable(items, issues)];
  }
  if (isObject(body)) {
    const list = ownAny(body, ['value']);
    if (list && Array.isArray(list.value)) {
      return [
        objectTable(
          asArray(list.value).map((value, i) => ({ value, pointer: joinPointer('', [list.key, i]) })),
          issues,
        ),
      ];
    }
    return [objectTable([{ value: body, pointer: '' }], issues)];
  }
  issues.add(null, '', `expected cost rows (a query response, CSV text or JSON rows), got ${describe(body)}`);
  return [];
}

// ---------------------------------------------------------------------------------------------
// Tables → cost rows

/**
 * Lines that are not usage: reservation and savings-plan purchases, refunds, taxes, rounding. A
 * one-time purchase would read as a spike in the daily series while nothing ran.
 */
function isUsage(chargeType: string | null): boolean {
  return chargeType === null || chargeType.toLowerCase() === 'usage';
}

function rowsOf(table: Table, ctx: ParseContext, issues: IssueList): { rows: CostRow[]; ignored: number } {
  const column = (aliases: readonly string[]): string | null => pick(table.columns, aliases);
  const costKey = column(COLUMNS.cost);
  const dayKey = column(COLUMNS.day);
  const currencyKey = column(COLUMNS.currency);
  const subscriptionKey = column(COLUMNS.subscription);
  const resourceKey = column(COLUMNS.resourceId);
  const querySubscription = subscriptionId(ctx.query['subscriptionId']);

  const before = issues.count;
  const envelope = (message: string): void => issues.add(null, table.columnsField, table.columnsLabel + message);
  if (!costKey) envelope('has no cost column (CostInBillingCurrency, Cost, PreTaxCost or CostUSD)');
  if (!dayKey) {
    const monthly = MONTH_COLUMNS.some((m) => table.columns.has(m));
    envelope(
      monthly
        ? 'has BillingMonth but no day: query with granularity Daily (monthly totals would read as one-day spikes)'
        : 'has no day column (UsageDate, Date or UsageDateTime)',
    );
  }
  if (costKey && !currencyKey && !USD_COLUMNS.has(costKey)) {
    envelope(`has no currency column (BillingCurrency, BillingCurrencyCode or Currency) for ${table.columns.get(costKey)}`);
  }
  if (!subscriptionKey && !resourceKey && !querySubscription) {
    envelope('names no subscription: add a SubscriptionId or ResourceId column (grouping), or pass ?subscriptionId= in the query');
  }
  if (issues.count > before) return { rows: [], ignored: 0 };

  const rows: CostRow[] = [];
  let ignored = 0;
  for (const line of table.lines) {
    // JSON rows need not all have every column: a missing cell is reported where it would be.
    const cell = (key: string | null): Cell | undefined =>
      key === null
        ? undefined
        : (line.cells.get(key) ?? {
            value: undefined,
            column: table.columns.get(key)!,
            field: joinPointer(line.pointer, [table.columns.get(key)!]),
          });
    const value = (aliases: readonly string[]): string | null => text(cell(column(aliases))?.value);
    if (!isUsage(value(COLUMNS.chargeType))) {
      ignored += 1;
      continue;
    }
    const failed = issues.count;

    const costCell = cell(costKey)!;
    const amount = costAmount(costCell.value);
    if (amount === null)
      issues.add(line.index, costCell.field, `${costCell.column} must be a number, got ${JSON.stringify(costCell.value ?? null)}`);

    const dayCell = cell(dayKey)!;
    const day = costDay(dayCell.value);
    if (day === null) {
      issues.add(
        line.index,
        dayCell.field,
        `${dayCell.column} must be a day (20240501, 2024-05-01 or 05/01/2024), got ${JSON.stringify(dayCell.value ?? null)}`,
      );
    }

    let currency = costKey && USD_COLUMNS.has(costKey) ? 'USD' : (text(cell(currencyKey)?.value)?.toUpperCase() ?? null);
    if (currency === null || !/^[A-Z]{3}$/.test(currency)) {
      const currencyCell = cell(currencyKey);
      issues.add(
        line.index,
        currencyCell?.field ?? line.pointer,
        `must be an ISO 4217 currency code such as USD, got ${JSON.stringify(currencyCell?.value ?? null)}`,
      );
      currency = null;
    }

    const resourceId = text(cell(resourceKey)?.value);
    const accountId = subscriptionId(text(cell(subscriptionKey)?.value)) ?? subscriptionOf(resourceId) ?? querySubscription;
    if (accountId === null) {
      const where = cell(subscriptionKey) ?? cell(resourceKey);
      issues.add(
        line.index,
        where?.field ?? joinPointer(line.pointer, ['SubscriptionId']),
        'is required: the row names no subscription (SubscriptionId, an ARM ResourceId, or ?subscriptionId= in the query)',
      );
    }
    if (issues.count > failed) continue;

    const subCategory = value(COLUMNS.subCategory);
    const meter = value(COLUMNS.meter);
    rows.push({
      source: COST_SOURCE,
      provider: 'azure',
      accountId: accountId!,
      service: value(COLUMNS.service) ?? 'All services',
      region: azureRegion(value(COLUMNS.region)),
      resourceId,
      usageType: vmSizeOf(cell(column(COLUMNS.additionalInfo))?.value) ?? ([subCategory, meter].filter(Boolean).join(' - ') || null),
      day: day!,
      amount: amount!,
      currency: currency!,
    });
  }
  return { rows, ignored };
}

export const parseCost: Parser = (body, ctx) => {
  const issues = new IssueList();
  const costRows: CostRow[] = [];
  let ignored = 0;
  for (const table of tablesOf(body, issues)) {
    const result = rowsOf(table, ctx, issues);
    costRows.push(...result.rows);
    ignored += result.ignored;
  }
  issues.throwIfAny();
  return { signals: [], ignored, costRows };
};
