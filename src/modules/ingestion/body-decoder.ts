import { IngestionErrorCode, IngestionException } from '#src/modules/ingestion/ingestion.exception.js';

function jsonError(error: unknown, field: string, index: number | null = null): { index: number | null; field: string; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  return { index, field, message: `malformed JSON: ${message}` };
}

/** NDJSON / JSON Lines: one JSON value per line; blank lines are allowed. */
export function decodeNdjson(text: string): unknown[] {
  const out: unknown[] = [];
  const problems: Array<{ index: number | null; field: string; message: string }> = [];
  text.split(/\r?\n/).forEach((line, lineNo) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (error) {
      problems.push(jsonError(error, `line ${lineNo + 1}`, out.length + problems.length));
    }
  });
  if (problems.length > 0) {
    throw new IngestionException(IngestionErrorCode.MalformedBody, `${problems.length} NDJSON line(s) are not valid JSON.`, problems);
  }
  return out;
}

/**
 * Turns the request body into what a parser takes. JSON arrives already parsed by the HTTP layer;
 * text arrives as a string: SNS posts JSON as `text/plain`, so JSON sources decode text as JSON,
 * falling back to NDJSON when it holds several lines of JSON.
 */
export function decodeBody(body: unknown, contentType: string | undefined, textSource: boolean): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (typeof body !== 'string') return body;
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') {
    return decodeNdjson(body);
  }
  if (textSource && (type === 'text/csv' || type === 'text/plain')) return body;
  const trimmed = body.trim();
  if (trimmed === '') {
    throw new IngestionException(IngestionErrorCode.MalformedBody, 'The body is empty.', [
      { index: null, field: '/', message: 'empty body' },
    ]);
  }
  try {
    return JSON.parse(trimmed);
  } catch (error) {
    if (trimmed.includes('\n')) return decodeNdjson(trimmed);
    throw new IngestionException(IngestionErrorCode.MalformedBody, 'The body is not valid JSON.', [jsonError(error, '/')]);
  }
}
