/**
 * How AWS hands over log lines (VPC Flow Logs, Route 53 Resolver query logs), unwrapped to the
 * lines themselves so the parsers only read records:
 *
 * - a CloudWatch Logs subscription message, decoded:
 *   `{"messageType": "DATA_MESSAGE", "owner", "logGroup", "logStream", "subscriptionFilters",
 *   "logEvents": [{"id", "timestamp", "message"}]}`; `CONTROL_MESSAGE`s (the reachability check
 *   CloudWatch Logs sends when a subscription is created) carry no log lines;
 * - the same message as a Lambda subscription receives it, `{"awslogs": {"data": "<base64 gzip>"}}`;
 * - a Firehose HTTP endpoint delivery request, `{"requestId", "timestamp", "records": [{"data":
 *   "<base64>"}]}`, where each record's data is a gzip-compressed subscription message (CloudWatch
 *   Logs → Firehose), the message decompressed (Firehose decompression on), or the log lines
 *   themselves (decompression with message extraction, or a service delivering to Firehose directly);
 * - a `FilterLogEvents`/`GetLogEvents` response, `{"events": [{"logStreamName", "timestamp", "message"}]}`.
 *
 * Text is walked line by line with `indexOf`, never split into an array of the whole body, so a
 * large delivery is not copied several times over.
 */
import { Buffer } from 'node:buffer';
import { gunzipSync } from 'node:zlib';

import { asNumber, asString, isObject, joinPointer, own, parseEpoch, type IssueList, type JsonObject } from '#src/connectors/common.js';

/** One log line and where it sits in the request. */
export interface LogLine {
  text: string;
  /** ValidationIssue.index of the line. */
  index: number;
  /** JSON pointer of the line (`/logEvents/3/message`, `/records/0/data/12`, `/7` for line 7 of a text body). */
  pointer: string;
  /** The CloudWatch Logs envelope's `owner`: the account the log group is in. */
  owner: string | null;
  logGroup: string | null;
  logStream: string | null;
  /** When CloudWatch Logs ingested the event. */
  timestamp: Date | null;
  /** The item as it arrived: the log event object, or the line itself. */
  raw: unknown;
}

/**
 * Iterates the lines of a text (`\n` or `\r\n`), with their 0-based line numbers. Blank lines are
 * yielded too, so numbers stay those of the body; callers skip them.
 */
export function* textLines(text: string): Generator<{ line: string; number: number }> {
  let start = 0;
  let number = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield { line: text.slice(start, stop), number };
    if (newline < 0) return;
    start = newline + 1;
    number += 1;
  }
}

// A delivery request is at most a few MiB; this bounds what a small compressed body may expand to.
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes base64 (and gzip, recognised by its magic bytes) to UTF-8 text. Records an issue and
 * returns null when the data is not base64, not valid gzip, too large or not UTF-8.
 */
export function decodeDeliveredData(data: unknown, index: number, field: string, issues: IssueList): string | null {
  if (typeof data !== 'string') {
    issues.add(index, field, data === undefined ? 'is required' : 'must be a base64 string');
    return null;
  }
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    issues.add(index, field, 'is not valid base64');
    return null;
  }
  let bytes: Buffer = Buffer.from(compact, 'base64');
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch (error) {
      const tooLarge = error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      issues.add(index, field, tooLarge ? `decompresses to more than ${MAX_DECOMPRESSED_BYTES} bytes` : 'is not valid gzip data');
      return null;
    }
  }
  try {
    return utf8.decode(bytes);
  } catch {
    issues.add(index, field, 'does not decode to UTF-8 text');
    return null;
  }
}

/** Whether a value is one of the delivery envelopes above (so the caller does not read it as a record). */
export function isLogDelivery(value: JsonObject): boolean {
  if (Array.isArray(own(value, 'logEvents')) || typeof own(value, 'messageType') === 'string') return true;
  if (isObject(own(value, 'awslogs'))) return true;
  const records = own(value, 'records');
  if (Array.isArray(records) && (Object.hasOwn(value, 'requestId') || records.some((r) => isObject(r) && Object.hasOwn(r, 'data'))))
    return true;
  const events = own(value, 'events');
  return Array.isArray(events) && events.some((e) => isObject(e) && Object.hasOwn(e, 'message'));
}

interface Origin {
  /** Index to report, or null to report each line's own position in its list. */
  index: number | null;
  pointer: string;
}

/**
 * Calls `onLine` for every log line a delivery envelope carries. Returns false (and does nothing)
 * when the value is no delivery envelope.
 */
export function forEachDeliveredLine(value: JsonObject, origin: Origin, issues: IssueList, onLine: (line: LogLine) => void): boolean {
  if (!isLogDelivery(value)) return false;
  const at = (position: number) => origin.index ?? position;

  const awslogs = own(value, 'awslogs');
  if (isObject(awslogs)) {
    const field = joinPointer(origin.pointer, ['awslogs', 'data']);
    const text = decodeDeliveredData(own(awslogs, 'data'), at(0), field, issues);
    if (text !== null) deliveredText(text, { index: origin.index, pointer: field }, issues, onLine);
    return true;
  }

  const records = own(value, 'records');
  if (Array.isArray(records)) {
    records.forEach((record, r) => {
      const field = joinPointer(origin.pointer, ['records', r, 'data']);
      const text = decodeDeliveredData(isObject(record) ? own(record, 'data') : undefined, at(r), field, issues);
      if (text !== null) deliveredText(text, { index: at(r), pointer: field }, issues, onLine);
    });
    return true;
  }

  const events = own(value, 'events');
  if (Array.isArray(events) && !Array.isArray(own(value, 'logEvents'))) {
    events.forEach((event, e) => {
      const pointer = joinPointer(origin.pointer, ['events', e]);
      logEvent(
        event,
        { index: at(e), pointer },
        { owner: null, logGroup: null, logStream: asString(isObject(event) ? own(event, 'logStreamName') : null) },
        issues,
        onLine,
      );
    });
    return true;
  }

  subscriptionMessage(value, origin, issues, onLine);
  return true;
}

function subscriptionMessage(message: JsonObject, origin: Origin, issues: IssueList, onLine: (line: LogLine) => void): void {
  const type = own(message, 'messageType');
  if (type === 'CONTROL_MESSAGE') return;
  if (type !== undefined && type !== 'DATA_MESSAGE') {
    issues.add(
      origin.index,
      joinPointer(origin.pointer, ['messageType']),
      `must be "DATA_MESSAGE" or "CONTROL_MESSAGE", got ${JSON.stringify(type)}`,
    );
    return;
  }
  const events = own(message, 'logEvents');
  if (!Array.isArray(events)) {
    issues.add(origin.index, joinPointer(origin.pointer, ['logEvents']), events === undefined ? 'is required' : 'must be an array');
    return;
  }
  const envelope = {
    owner: asString(own(message, 'owner')),
    logGroup: asString(own(message, 'logGroup')),
    logStream: asString(own(message, 'logStream')),
  };
  events.forEach((event, e) => {
    logEvent(event, { index: origin.index ?? e, pointer: joinPointer(origin.pointer, ['logEvents', e]) }, envelope, issues, onLine);
  });
}

function logEvent(
  event: unknown,
  at: { index: number; pointer: string },
  envelope: { owner: string | null; logGroup: string | null; logStream: string | null },
  issues: IssueList,
  onLine: (line: LogLine) => void,
): void {
  if (!isObject(event)) {
    issues.add(at.index, at.pointer, 'a log event must be a JSON object');
    return;
  }
  const message = own(event, 'message');
  if (typeof message !== 'string') {
    issues.add(at.index, joinPointer(at.pointer, ['message']), message === undefined ? 'is required' : 'must be a string');
    return;
  }
  onLine({
    text: message,
    index: at.index,
    pointer: joinPointer(at.pointer, ['message']),
    ...envelope,
    timestamp: parseEpoch(asNumber(own(event, 'timestamp')), 'ms'),
    raw: event,
  });
}

/**
 * Decoded record data: a subscription message (JSON with `logEvents`/`messageType`), one JSON
 * document passed on as one line (a Resolver query log record Firehose received directly), or
 * log lines.
 */
function deliveredText(text: string, at: Origin, issues: IssueList, onLine: (line: LogLine) => void): void {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch {
      decoded = undefined;
    }
    if (isObject(decoded) && (Array.isArray(own(decoded, 'logEvents')) || typeof own(decoded, 'messageType') === 'string')) {
      subscriptionMessage(decoded, at, issues, onLine);
      return;
    }
    // One JSON document, however it is indented, is one record.
    if (isObject(decoded)) {
      const record = text.trim();
      onLine({
        text: record,
        index: at.index ?? 0,
        pointer: at.pointer,
        owner: null,
        logGroup: null,
        logStream: null,
        timestamp: null,
        raw: record,
      });
      return;
    }
  }
  for (const { line, number } of textLines(text)) {
    if (line.trim() === '') continue;
    onLine({
      text: line,
      index: at.index ?? number,
      pointer: joinPointer(at.pointer, [number]),
      owner: null,
      logGroup: null,
      logStream: null,
      timestamp: null,
      raw: line,
    });
  }
}
