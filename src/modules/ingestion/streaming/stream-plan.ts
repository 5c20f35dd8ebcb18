import { FOCUS_COLUMNS_READ, FOCUS_SOURCE, focusHeaderIssues } from '#src/connectors/focus/focus.parser.js';
import type { ValidationIssue } from '#src/connectors/signal.js';
import type { StreamFormat } from '#src/modules/ingestion/streaming/record-stream.js';

/** Media types whose bodies reach the ingest handler as a stream (see bootstrap.ts). */
export const NDJSON_TYPES: readonly string[] = ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'];
export const STREAMED_TYPES: readonly string[] = ['text/csv', ...NDJSON_TYPES];

/**
 * Sources whose parser takes CSV rows as objects keyed by the header (as their JSON rows are), with
 * the check of a header that shows at once the file is something else. Other CSV sources
 * (`azure.cost`) parse the CSV text themselves: their bodies are read whole.
 */
const CSV_SOURCES: Readonly<Record<string, { checkHeader: (header: string[]) => ValidationIssue[]; columns: ReadonlySet<string> }>> = {
  [FOCUS_SOURCE]: { checkHeader: focusHeaderIssues, columns: FOCUS_COLUMNS_READ },
};

export interface StreamPlan {
  format: StreamFormat;
  checkHeader?: (header: string[]) => ValidationIssue[];
  /** Lower-case names of the CSV columns the parser reads; the others are not kept. */
  columns?: ReadonlySet<string>;
}

/**
 * How a streamed body of this source and media type is read batch by batch, or null when it must be
 * read whole. NDJSON streams for every source: each line is one item, exactly what the parsers get
 * for a JSON array, so a batch of lines is parsed like a smaller request.
 */
export function streamPlan(source: string, contentType: string | undefined): StreamPlan | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (NDJSON_TYPES.includes(type)) return { format: 'ndjson' };
  const csv = Object.hasOwn(CSV_SOURCES, source) ? CSV_SOURCES[source] : undefined;
  if (type === 'text/csv' && csv) return { format: 'csv', ...csv };
  return null;
}
