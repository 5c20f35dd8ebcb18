/**
 * Cost histories in the clouds' own export shapes, for the scenarios whose incident cost comes from
 * MineWatch's own detector (Azure has no anomaly API; GCP's is in beta): weeks of ordinary spend,
 * then the day of the campaign. Field sets are those of test/fixtures/azure/cost and
 * test/fixtures/gcp/billing (their READMEs name the public sources).
 */

import { COST_QUERY_COLUMNS, costQueryRow } from '../../fakes/azure-fake.js';

const DAY_MS = 86_400_000;

function days(from: string, through: string): Date[] {
  const out: Date[] = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${through}T00:00:00Z`); at += DAY_MS) out.push(new Date(at));
  return out;
}

/** A small, fixed wobble (±3 %) so a history is not a flat line. */
export function wobble(i: number): number {
  return 1 + (((i * 7919) % 13) - 6) / 200;
}

export interface AzureCostLine {
  resourceId: string;
  service: string;
  subCategory: string;
  meter: string;
  location: string;
  /** Cost of a day; `i` counts days from the first. */
  cost: (day: Date, i: number) => number;
}

/**
 * A Cost Management query response at subscription scope, Daily, grouped by ResourceId,
 * ServiceName, MeterSubCategory, Meter and ResourceLocation (as the connectors ask for it).
 */
export function azureCostQuery(subscription: string, from: string, through: string, lines: AzureCostLine[]): unknown {
  const rows: unknown[][] = [];
  days(from, through).forEach((day, i) => {
    for (const { cost, resourceId, ...line } of lines) {
      rows.push(
        costQueryRow({
          ...line,
          resourceId: resourceId.toLowerCase(),
          day: day.toISOString().slice(0, 10),
          cost: Math.round(cost(day, i) * 10_000) / 10_000,
        }),
      );
    }
  });
  const name = '3f0c2a9e-6d1b-4e8f-9a7c-5b2d4e6f8a01';
  return {
    id: `subscriptions/${subscription}/providers/Microsoft.CostManagement/query/${name}`,
    name,
    type: 'Microsoft.CostManagement/query',
    location: null,
    sku: null,
    eTag: null,
    properties: {
      nextLink: null,
      columns: COST_QUERY_COLUMNS,
      rows,
    },
  };
}

export interface GcpBillingLine {
  project: { id: string; number: string; name: string };
  sku: { id: string; description: string };
  zone: string;
  resource: { name: string; global_name: string };
  /** Cost of one hour; `null` when the resource did not run that hour. */
  hourly: (hour: Date, dayIndex: number) => number | null;
}

const BQ_TIME = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Detailed (resource-level) billing export rows, hourly, as BigQuery returns them in JSON. */
export function gcpDetailedExport(billingAccount: string, from: string, through: string, lines: GcpBillingLine[]): unknown[] {
  const rows: unknown[] = [];
  days(from, through).forEach((day, i) => {
    for (let h = 0; h < 24; h++) {
      const start = new Date(day.getTime() + h * 3_600_000);
      const end = new Date(start.getTime() + 3_600_000);
      for (const l of lines) {
        const cost = l.hourly(start, i);
        if (cost === null) continue;
        const region = l.zone.replace(/-[a-z]$/, '');
        rows.push({
          billing_account_id: billingAccount,
          service: { id: '6F81-5844-456A', description: 'Compute Engine' },
          sku: l.sku,
          usage_start_time: BQ_TIME(start),
          usage_end_time: BQ_TIME(end),
          project: {
            ...l.project,
            labels: [],
            ancestors: [{ resource_name: `projects/${l.project.number}`, display_name: l.project.name }],
          },
          labels: [],
          system_labels: [],
          location: { location: l.zone, country: 'US', region, zone: l.zone },
          resource: l.resource,
          tags: [],
          price: { effective_price: String(cost), tier_start_amount: 0, unit: 'hour', pricing_unit_quantity: 1 },
          subscription: {},
          transaction_type: 'GOOGLE',
          export_time: BQ_TIME(new Date(end.getTime() + 3 * 3_600_000)),
          cost: Math.round(cost * 1_000_000) / 1_000_000,
          currency: 'USD',
          currency_conversion_rate: 1,
          usage: { amount: 3600, unit: 'seconds', amount_in_pricing_units: 1, pricing_unit: 'hour' },
          credits: [],
          invoice: { month: start.toISOString().slice(0, 7).replace('-', '') },
          cost_type: 'regular',
          adjustment_info: {},
          cost_at_list: Math.round(cost * 1_000_000) / 1_000_000,
        });
      }
    }
  });
  return rows;
}
