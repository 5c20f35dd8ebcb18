/**
 * FOCUS datasets as CSV: how a file is read into row objects, shared by the parser (a CSV body
 * held as one string) and the streaming ingest path (a CSV body read batch by batch), so both read
 * a file the same way and number its rows alike.
 */
import type { Options } from 'csv-parse';

import { joinPointer } from '#src/connectors/common.js';
import type { ValidationIssue } from '#src/connectors/signal.js';

/**
 * csv-parse options for a FOCUS export. Records come back as arrays with their line numbers, so
 * rows of the wrong length are reported by us with their line rather than aborting the whole parse.
 */
export const FOCUS_CSV_OPTIONS: Options = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: true,
  info: true,
};

/**
 * A CSV value, or null for a missing one: exporters write a null as an empty field or as `NULL`
 * (the FOCUS sample data does). Done here rather than with csv-parse's `cast`, a call per field
 * that costs a third of the parse; a quoted `"NULL"` therefore also reads as null, which no cost
 * export means otherwise.
 */
function cellValue(value: string | undefined): string | null {
  return value === undefined || value === '' || value === 'NULL' ? null : value;
}

/** What csv-parse yields per record with {@link FOCUS_CSV_OPTIONS}. */
export interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/** The header's column names, trimmed; a null (empty) name is kept as an empty string. */
export function csvHeader(record: CsvRecord): string[] {
  return record.record.map((name) => (name ?? '').trim());
}

/**
 * One data record as a row object keyed by the header's names, or an issue when the record has
 * more or fewer values than the header (a row cut short by a truncated upload, an unquoted comma).
 * `index` counts data rows from 0, as JSON rows are counted; the issue names the line too.
 * `keep`, by column position, leaves out columns the parser never reads: a streamed batch of
 * 5,000 rows of 65 columns would otherwise hold 325,000 strings, most of them unused.
 */
export function csvRow(
  header: readonly string[],
  record: CsvRecord,
  index: number,
  keep?: readonly boolean[],
): { row: Record<string, string | null>; issue?: undefined } | { row?: undefined; issue: ValidationIssue } {
  const values = record.record;
  if (values.length !== header.length) {
    return {
      issue: {
        index,
        field: joinPointer('', [index]),
        message: `CSV line ${record.info.lines} has ${values.length} values but the header names ${header.length} columns`,
      },
    };
  }
  // No prototype: a column named __proto__ is a column like any other.
  const row = Object.create(null) as Record<string, string | null>;
  for (let i = 0; i < header.length; i++) if (keep === undefined || keep[i]) row[header[i]!] = cellValue(values[i]);
  return { row };
}
