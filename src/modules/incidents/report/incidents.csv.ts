import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { IncidentFilter } from '#src/modules/incidents/incidents.repository.js';
import type { IncidentsService } from '#src/modules/incidents/incidents.service.js';

const COLUMNS = [
  'id',
  'status',
  'severity',
  'confidence',
  'title',
  'providers',
  'accounts',
  'regions',
  'resourceCount',
  'firstSeenAt',
  'lastSeenAt',
  'costImpactAmount',
  'costImpactCurrency',
  'principals',
  'accessKeyIds',
  'sourceIps',
  'techniques',
];

/** True when the client asks for CSV before JSON (FinOps tools and spreadsheets). */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const csv = types.indexOf('text/csv');
  const json = types.findIndex((t) => t === 'application/json' || t === '*/*');
  return csv >= 0 && (json < 0 || csv < json);
}

/** Every matching incident as CSV, read page by page so a large export never sits in memory. */
export function incidentsCsv(incidents: IncidentsService, filter: IncidentFilter): Readable {
  async function* rows() {
    let cursor: string | undefined;
    do {
      const page = await incidents.list(filter, 500, cursor);
      for (const i of page.items) {
        yield [
          i.id,
          i.status,
          i.severity,
          i.confidence,
          i.title,
          i.providers.join(' '),
          i.accounts.join(' '),
          i.regions.join(' '),
          i.resources.length,
          i.firstSeenAt.toISOString(),
          i.lastSeenAt.toISOString(),
          i.costAmount.toFixed(2),
          i.costCurrency,
          i.attackVector.principals.join(' '),
          i.attackVector.accessKeyIds.join(' '),
          i.attackVector.sourceIps.join(' '),
          i.techniques.join(' '),
        ];
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  // A leading = + - @ would make a spreadsheet run the cell as a formula (CSV injection).
  const stringifier = stringify({ header: true, columns: COLUMNS, escape_formulas: true });
  return Readable.from(rows()).pipe(stringifier);
}
