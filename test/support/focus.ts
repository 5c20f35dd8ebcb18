/**
 * FOCUS 1.3 cost and usage CSV written on the fly for tests and benchmarks: the 65 columns of the
 * FOCUS 1.3 sample data (test/fixtures/focus/focus-1.3-costandusage-sample-6rows.csv), one line
 * per charge, so that a generated file is shaped and sized like a real export.
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from './fixtures.js';

export const FOCUS_13_HEADER: string = readFileSync(fixturePath('focus/focus-1.3-costandusage-sample-6rows.csv'), 'utf8').split('\n')[0]!;
const COLUMNS = FOCUS_13_HEADER.split(',').map((c) => c.replaceAll('"', ''));

export interface FocusCharge {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** Hour of the day for an hourly charge; a daily charge when absent. */
  hour?: number;
  provider?: 'AWS' | 'Microsoft' | 'Google Cloud' | 'Oracle';
  accountId: string;
  service: string;
  region: string;
  resourceId: string | null;
  usageType: string;
  cost: number;
  chargeCategory?: string;
  /** Cells written as given (already quoted where needed), e.g. a malformed BilledCost. */
  raw?: Record<string, string>;
}

const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;

function period(c: FocusCharge): [string, string] {
  if (c.hour === undefined) {
    const end = new Date(Date.parse(`${c.day}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', 'Z');
    return [`${c.day}T00:00:00Z`, end];
  }
  const start = Date.parse(`${c.day}T00:00:00Z`) + c.hour * 3_600_000;
  return [new Date(start).toISOString().replace('.000Z', 'Z'), new Date(start + 3_600_000).toISOString().replace('.000Z', 'Z')];
}

/** One CSV line (with its newline) for a charge. */
export function focusLine(c: FocusCharge): string {
  const [start, end] = period(c);
  const provider = c.provider ?? 'AWS';
  const month = c.day.slice(0, 7);
  const values: Record<string, string> = {
    BilledCost: String(c.cost),
    BillingAccountId: quote('999988887777'),
    BillingAccountName: quote('Example Payer'),
    BillingAccountType: quote('BillingAccount'),
    BillingCurrency: quote('USD'),
    BillingPeriodStart: quote(`${month}-01T00:00:00Z`),
    BillingPeriodEnd: quote(`${month}-28T00:00:00Z`),
    ChargeCategory: quote(c.chargeCategory ?? 'Usage'),
    ChargeDescription: quote(`${c.service} ${c.usageType}`),
    ChargePeriodStart: quote(start),
    ChargePeriodEnd: quote(end),
    ConsumedQuantity: '1',
    ConsumedUnit: quote('Hours'),
    ContractedCost: String(c.cost),
    EffectiveCost: String(c.cost),
    HostProviderName: quote(provider),
    InvoiceIssuerName: quote(provider),
    ListCost: String(c.cost),
    PricingCategory: quote('Standard'),
    PricingCurrency: quote('USD'),
    PricingQuantity: '1',
    PricingUnit: quote('Hours'),
    ProviderName: quote(provider),
    PublisherName: quote(provider),
    RegionId: quote(c.region),
    RegionName: quote(c.region),
    ResourceId: c.resourceId === null ? 'NULL' : quote(c.resourceId),
    ResourceType: quote('Virtual Machine'),
    ServiceCategory: quote('Compute'),
    ServiceName: quote(c.service),
    ServiceProviderName: quote(provider),
    SkuId: quote('A1B2C3D4E5F6G7H8'),
    SkuMeter: quote(c.usageType),
    SkuPriceId: quote('A1B2C3D4E5F6G7H8.JRTCKXETXF'),
    SubAccountId: quote(c.accountId),
    SubAccountName: quote('example'),
    SubAccountType: quote('Account'),
    Tags: quote('{"team": "platform", "environment": "prod"}'),
    ChargeFrequency: quote('Usage-Based'),
    InvoiceId: quote(`INV-${month}`),
    ServiceSubcategory: quote('Virtual Machines'),
  };
  Object.assign(values, c.raw ?? {});
  return COLUMNS.map((c) => values[c] ?? 'NULL').join(',') + '\n';
}

/** A whole CSV body. */
export function focusCsv(charges: Iterable<FocusCharge>): string {
  let out = FOCUS_13_HEADER + '\n';
  for (const c of charges) out += focusLine(c);
  return out;
}

/** Days from `start`, `count` of them. */
export function days(start: string, count: number): string[] {
  const first = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}
