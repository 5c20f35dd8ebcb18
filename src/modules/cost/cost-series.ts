/**
 * Daily cost series and how cost rows feed them. Pure: no database.
 *
 * Every cost row feeds up to three nested series, each a series of its own for the detector:
 * - the resource (when the row names one): a GPU instance that starts costing more;
 * - its service in its region (also the series of rows that name no resource): more instances
 *   of a service, including brand-new resources that have no history of their own;
 * - the account total in that currency: a service or region never used before.
 * Keys nest by prefix (`aws:123456789012:USD`, `…:s<hash>`, `…:s<hash>:r<hash>`), which is how a
 * total tells the anomalies of its parts from its own (see cost.service.ts).
 */
import { createHash } from 'node:crypto';

import type { CostRow, Provider } from '#src/connectors/signal.js';

export type SeriesLevel = 'resource' | 'service' | 'account';

/** Levels in the order the detector processes them: parts before their totals. */
export const SERIES_LEVELS: readonly SeriesLevel[] = ['resource', 'service', 'account'];

export interface SeriesIdentity {
  key: string;
  /** The series this one adds up into; null for an account total. */
  parentKey: string | null;
  level: SeriesLevel;
  provider: Provider;
  accountId: string;
  currency: string;
  /** Null for an account total (every service). */
  service: string | null;
  region: string | null;
  resourceId: string | null;
}

// A batch names the same few thousand resources over and over: hash each once.
const hashes = new Map<string, string>();

function hash(parts: ReadonlyArray<string | null>, length: number): string {
  const text = JSON.stringify(parts);
  let digest = hashes.get(text);
  if (digest === undefined) {
    digest = createHash('sha256').update(text).digest('hex');
    if (hashes.size >= 100_000) hashes.clear();
    hashes.set(text, digest);
  }
  return digest.slice(0, length);
}

/** The series a row feeds, most specific first. */
export function seriesOfRow(row: CostRow): SeriesIdentity[] {
  const account: SeriesIdentity = {
    key: `${row.provider}:${row.accountId}:${row.currency}`,
    parentKey: null,
    level: 'account',
    provider: row.provider,
    accountId: row.accountId,
    currency: row.currency,
    service: null,
    region: null,
    resourceId: null,
  };
  // 48 bits tell apart the services and regions of one account; 64 the resources of one service.
  const service: SeriesIdentity = {
    ...account,
    key: `${account.key}:s${hash([row.service, row.region], 12)}`,
    parentKey: account.key,
    level: 'service',
    service: row.service,
    region: row.region,
  };
  if (row.resourceId === null) return [service, account];
  const resource: SeriesIdentity = {
    ...service,
    key: `${service.key}:r${hash([row.resourceId], 16)}`,
    parentKey: service.key,
    level: 'resource',
    resourceId: row.resourceId,
  };
  return [resource, service, account];
}

/** Whether series `child` adds up into `parent` (directly or through its service). */
export function isNestedIn(child: string, parent: string): boolean {
  return child.length > parent.length && child.startsWith(`${parent}:`);
}

/** One series-day of one source, summed over the rows of a batch. */
export interface DailyAmount {
  key: string;
  day: string;
  source: string;
  amount: number;
  /** The usage type that cost the most that day, and what it cost (to keep the largest across batches). */
  usageType: string | null;
  usageAmount: number;
}

export interface Aggregate {
  /** Every series the rows feed, with the first day the rows name. */
  series: Array<SeriesIdentity & { from: string }>;
  daily: DailyAmount[];
  /** The series-days the rows touched, for the detector. */
  touched: Array<{ level: SeriesLevel; key: string; day: string }>;
}

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Sums cost rows per series, day and source as they come (an export repeats a day for every meter
 * and hour), so that a streamed request holds one entry per series-day rather than every row
 * until it is written. `take` hands the sums over sorted by key, so concurrent requests lock
 * rows in the same order, and starts afresh.
 */
export class CostAggregator {
  private series = new Map<string, SeriesIdentity & { from: string }>();
  private daily = new Map<string, DailyAmount>();
  /** Sums per series-day-source and usage type, flat (one Map per day would cost more than the sums). */
  private usage = new Map<string, number>();
  /** Cost rows added since the last `take`. */
  rows = 0;

  /** Series-day rows the sums will write. */
  get entries(): number {
    return this.daily.size;
  }

  add(rows: readonly CostRow[]): this {
    for (const row of rows) {
      this.rows += 1;
      for (const identity of seriesOfRow(row)) {
        const known = this.series.get(identity.key);
        if (!known) this.series.set(identity.key, { ...identity, from: row.day });
        else if (row.day < known.from) known.from = row.day;
        const dailyKey = `${identity.key}\u0000${row.day}\u0000${row.source}`;
        let day = this.daily.get(dailyKey);
        if (!day) {
          day = { key: identity.key, day: row.day, source: row.source, amount: 0, usageType: null, usageAmount: 0 };
          this.daily.set(dailyKey, day);
        }
        day.amount += row.amount;
        if (row.usageType !== null) {
          const usageKey = `${dailyKey}\u0000${row.usageType}`;
          const sum = (this.usage.get(usageKey) ?? 0) + row.amount;
          this.usage.set(usageKey, sum);
          if (sum > day.usageAmount) {
            day.usageType = row.usageType;
            day.usageAmount = sum;
          }
        }
      }
    }
    return this;
  }

  take(): Aggregate {
    const daily = [...this.daily.values()]
      .map((d) => ({ ...d, amount: roundAmount(d.amount), usageAmount: roundAmount(d.usageAmount) }))
      .sort((a, b) => byKey(a, b) || (a.day < b.day ? -1 : a.day > b.day ? 1 : a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    const touched: Aggregate['touched'] = [];
    for (const d of daily) {
      const last = touched.at(-1);
      if (!last || last.key !== d.key || last.day !== d.day) touched.push({ level: this.series.get(d.key)!.level, key: d.key, day: d.day });
    }
    const out = { series: [...this.series.values()].sort(byKey), daily, touched };
    this.series = new Map();
    this.daily = new Map();
    this.usage = new Map();
    this.rows = 0;
    return out;
  }
}

/** The sums of one batch of cost rows (see CostAggregator). */
export function aggregate(rows: readonly CostRow[]): Aggregate {
  return new CostAggregator().add(rows).take();
}

/** Amounts are kept to 6 decimals (numeric(20,6)): enough for hourly rows of fractions of a cent. */
export function roundAmount(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
