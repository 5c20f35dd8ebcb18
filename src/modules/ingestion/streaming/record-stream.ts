/**
 * A request body read as a stream of records, in batches, with bounded memory: CSV through
 * csv-parse's stream API, NDJSON line by line. Nothing here knows about the database; the
 * ingestion service stores each batch as it comes and keeps the whole request in one transaction.
 */
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse as csvParser } from 'csv-parse';

import { csvHeader, csvRow, FOCUS_CSV_OPTIONS, type CsvRecord } from '#src/connectors/focus/focus-csv.js';
import type { ValidationIssue } from '#src/connectors/signal.js';

export type StreamFormat = 'csv' | 'ndjson';

/** Thrown when a body grows past its limit; the service answers 413. */
export class StreamTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
    this.name = 'StreamTooLarge';
  }
}

/** One batch of records, ready for a parser. */
export interface StreamBatch {
  /** Row objects (CSV) or JSON values (NDJSON), in body order. */
  items: unknown[];
  /** Position of each item in the body (what a ValidationIssue's index reports). */
  indexes: number[];
  /** The line each item ends on (a quoted CSV field may span lines), to name it in messages. */
  lines: number[];
  /** Records that could not even be read (a CSV row of the wrong length, a line that is not JSON). */
  issues: ValidationIssue[];
  /** Bytes of the body read so far. */
  bytes: number;
  /** Records (items and unreadable ones) read so far. */
  records: number;
}

export interface ReadOptions {
  format: StreamFormat;
  maxBytes: number;
  batchSize: number;
  /** Checks a CSV header before any row is read; problems end the read. */
  checkHeader?: (header: string[]) => ValidationIssue[];
  /** Lower-case names of the CSV columns to keep; all when absent. */
  columns?: ReadonlySet<string>;
  /** Longest NDJSON line held in memory, so a body without newlines cannot exhaust it. */
  maxLineBytes?: number;
}

/**
 * The body's chunks, failing with StreamTooLarge past `limit`. The request itself is left alone when
 * reading stops early (error or enough problems found), so that the HTTP layer can still answer.
 */
async function* limited(body: Readable, limit: number, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.bytes += buffer.length;
    if (counter.bytes > limit) throw new StreamTooLarge(limit);
    yield buffer;
  }
}

async function* csvRecords(chunks: AsyncIterable<Buffer>): AsyncGenerator<CsvRecord> {
  const parser = csvParser(FOCUS_CSV_OPTIONS);
  // pipeline carries an error of the source (too large) into the parser, and so into this loop.
  pipeline(Readable.from(chunks), parser, () => undefined);
  for await (const record of parser as AsyncIterable<CsvRecord>) yield record;
}

async function* ndjsonLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<{ text: string; line: number }> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  for await (const chunk of chunks) {
    const text = carry + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      line += 1;
      yield { text: text.slice(start, nl), line };
      start = nl + 1;
    }
    carry = text.slice(start);
    if (carry.length > maxLineBytes) throw new StreamTooLarge(maxLineBytes);
  }
  carry += decoder.end();
  if (carry !== '') yield { text: carry, line: line + 1 };
}

/** Reads `body` as records and yields them in batches of `batchSize`. */
export async function* readBatches(body: Readable, options: ReadOptions): AsyncGenerator<StreamBatch> {
  const counter = { bytes: 0 };
  const chunks = limited(body, options.maxBytes, counter);
  let batch: StreamBatch = { items: [], indexes: [], lines: [], issues: [], bytes: 0, records: 0 };
  let records = 0;
  const full = () => batch.items.length + batch.issues.length >= options.batchSize;
  const take = (): StreamBatch => {
    const out = { ...batch, bytes: counter.bytes, records };
    batch = { items: [], indexes: [], lines: [], issues: [], bytes: 0, records: 0 };
    return out;
  };

  if (options.format === 'csv') {
    let header: string[] | null = null;
    let keep: boolean[] | undefined;
    for await (const record of csvRecords(chunks)) {
      if (header === null) {
        header = csvHeader(record);
        const columns = options.columns;
        keep = columns ? header.map((name) => columns.has(name.toLowerCase())) : undefined;
        const problems = options.checkHeader?.(header) ?? [];
        if (problems.length > 0) {
          batch.issues.push(...problems);
          yield take();
          return;
        }
        continue;
      }
      const index = records++;
      const result = csvRow(header, record, index, keep);
      if (result.issue) batch.issues.push(result.issue);
      else {
        batch.items.push(result.row);
        batch.indexes.push(index);
        batch.lines.push(record.info.lines);
      }
      if (full()) yield take();
    }
    if (header === null) batch.issues.push({ index: null, field: '', message: 'the CSV has no header line' });
  } else {
    for await (const { text, line } of ndjsonLines(chunks, options.maxLineBytes ?? 32 * 1024 * 1024)) {
      // A byte-order mark on the first line, and blank lines, carry no record.
      const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (trimmed === '') continue;
      const index = records++;
      try {
        batch.items.push(JSON.parse(trimmed));
        batch.indexes.push(index);
        batch.lines.push(line);
      } catch (error) {
        batch.issues.push({
          index,
          field: `line ${line}`,
          message: `malformed JSON: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      if (full()) yield take();
    }
    if (records === 0) batch.issues.push({ index: null, field: '/', message: 'empty body' });
  }
  if (batch.items.length > 0 || batch.issues.length > 0) yield take();
}

/**
 * A parser's issues about one batch, renamed to the whole body: item i of the batch becomes its
 * index in the body (also in the JSON pointer), and the message names the line.
 */
export function issuesInBody(
  issues: readonly ValidationIssue[],
  batch: Pick<StreamBatch, 'indexes' | 'lines'>,
  format: StreamFormat,
): ValidationIssue[] {
  return issues.map((issue) => {
    if (issue.index === null || batch.indexes[issue.index] === undefined) return issue;
    const index = batch.indexes[issue.index]!;
    const line = batch.lines[issue.index]!;
    const prefix = `/${issue.index}`;
    const field =
      issue.field === prefix || issue.field.startsWith(`${prefix}/`) ? `/${index}${issue.field.slice(prefix.length)}` : issue.field;
    const where = format === 'csv' ? `CSV line ${line}` : `line ${line}`;
    return { index, field, message: issue.message.includes(where) ? issue.message : `${issue.message} (${where})` };
  });
}
