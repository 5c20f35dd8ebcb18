/**
 * Parse helpers shared by every connector: unwrapping list responses and delivery envelopes,
 * camelizing PascalCase payloads while remembering the body's own key spelling, strict date
 * handling, and collecting every validation issue of a request before throwing once.
 */
import { z } from 'zod';

import { PayloadValidationError, type ValidationIssue } from '#src/connectors/signal.js';

export type JsonObject = Record<string, unknown>;
export type PathSegment = string | number;

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property lookup, so keys such as `__proto__` or `constructor` never reach the prototype. */
export function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The first own property among `keys` that is present, with the key actually used. */
export function ownAny(object: JsonObject, keys: readonly string[]): { key: string; value: unknown } | null {
  for (const key of keys) {
    if (Object.hasOwn(object, key)) return { key, value: object[key] };
  }
  return null;
}

/** Follows own properties down an object tree: `dig(finding, 'resource', 'instanceDetails', 'instanceId')`. */
export function dig(value: unknown, ...keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = own(current, key);
  }
  return current;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function asObject(value: unknown): JsonObject | null {
  return isObject(value) ? value : null;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// ---------------------------------------------------------------------------------------------
// JSON pointers

function escapeSegment(segment: PathSegment): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Appends segments to a JSON pointer (RFC 6901): `joinPointer('/Findings/2', ['UpdatedAt'])`. */
export function joinPointer(base: string, segments: readonly PathSegment[]): string {
  return base + segments.map((s) => `/${escapeSegment(s)}`).join('');
}

// ---------------------------------------------------------------------------------------------
// Camelizing

/**
 * A deep copy with camelCase keys, plus the way back to the body's own spelling. GuardDuty and
 * Cost Explorer answer the CLI/SDK in PascalCase (`UpdatedAt`) but the wire and EventBridge in
 * camelCase (`updatedAt`); parsers read one spelling and still name fields the way the user sent them.
 */
export interface Camelized {
  value: unknown;
  /** Maps a path in `value` (as zod reports it) to the same path in the original spelling. */
  originalPath(path: readonly PathSegment[]): PathSegment[];
}

/** AWS SDK member names are the wire names with the first letter upper-cased, so the reverse is exact. */
export function camelKey(key: string): string {
  return key.length > 0 && key[0] !== key[0]!.toLowerCase() ? key[0]!.toLowerCase() + key.slice(1) : key;
}

interface KeySpelling {
  originals: Map<string, string>;
  /** Whether the object was PascalCase, to spell keys that are missing from it. */
  pascal: boolean;
}

/**
 * Cloud payloads are a dozen levels deep at most; anything deeper is copied as it is, so a hostile
 * body cannot exhaust the stack here.
 */
const MAX_CAMELIZE_DEPTH = 64;

/** Whether any key, at any depth camelize walks, starts with an upper-case letter. */
function hasPascalKey(value: unknown, depth: number): boolean {
  if (depth > MAX_CAMELIZE_DEPTH) return false;
  if (Array.isArray(value)) return value.some((v) => hasPascalKey(v, depth + 1));
  if (!isObject(value)) return false;
  for (const [key, child] of Object.entries(value)) {
    if (camelKey(key) !== key || hasPascalKey(child, depth + 1)) return true;
  }
  return false;
}

export function camelize(input: unknown): Camelized {
  // Payloads from the APIs and EventBridge are camelCase already: nothing to copy or remember.
  if (!hasPascalKey(input, 0)) return { value: input, originalPath: (path) => [...path] };
  const spellings = new WeakMap<object, KeySpelling>();

  const walk = (value: unknown, depth: number): unknown => {
    if (depth > MAX_CAMELIZE_DEPTH) return value;
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (!isObject(value)) return value;
    const originals = new Map<string, string>();
    let pascal = false;
    const entries: [string, unknown][] = [];
    for (const [key, child] of Object.entries(value)) {
      const camel = camelKey(key);
      // An exact camelCase key wins over a PascalCase twin.
      if (originals.has(camel) && originals.get(camel) === camel) continue;
      if (camel !== key) pascal = true;
      originals.set(camel, key);
      entries.push([camel, walk(child, depth + 1)]);
    }
    const copy = Object.fromEntries(entries);
    spellings.set(copy, { originals, pascal });
    return copy;
  };

  const value = walk(input, 0);

  const originalPath = (path: readonly PathSegment[]): PathSegment[] => {
    const result: PathSegment[] = [];
    let current: unknown = value;
    for (const segment of path) {
      if (isObject(current) && typeof segment === 'string') {
        const spelling = spellings.get(current);
        const original =
          spelling?.originals.get(segment) ?? (spelling?.pascal ? segment.charAt(0).toUpperCase() + segment.slice(1) : segment);
        result.push(original);
        current = own(current, segment);
      } else {
        result.push(segment);
        current = Array.isArray(current) && typeof segment === 'number' ? current[segment] : undefined;
      }
    }
    return result;
  };

  return { value, originalPath };
}

// ---------------------------------------------------------------------------------------------
// Dates

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2})))?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Strict ISO 8601: a calendar date, optionally with a time that carries `Z` or an offset
 * (`2024-01-31`, `2024-01-31T12:00:00Z`, `2021-11-18T09:41:02-08:00`). A time without a zone is
 * refused because it names no instant; so are impossible dates such as `2024-13-40T…`, which
 * `Date.parse` would otherwise roll over or accept.
 */
export function parseIsoDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = ISO_8601.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (m[4] !== undefined) {
    if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return null;
    if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return null;
  }
  const date = new Date(m[4] === undefined ? `${value}T00:00:00Z` : value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? null : date;
}

export function isIsoDate(value: unknown): boolean {
  return parseIsoDate(value) !== null;
}

/** `YYYY-MM-DD` without a time. */
export function isDateOnly(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value);
}

// Epoch numbers outside 1970…9999 are almost surely a unit mix-up (seconds sent as milliseconds).
const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Epoch seconds or milliseconds as a number, as the AWS JSON protocols and Metric Streams send them. */
export function parseEpoch(value: unknown, unit: 's' | 'ms'): Date | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const ms = unit === 's' ? value * 1000 : value;
  return ms >= 0 && ms <= MAX_EPOCH_MS ? new Date(ms) : null;
}

/** The last millisecond of the UTC day that `date` falls in. */
export function endOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 23, 59, 59, 999));
}

/** Left-pads a non-negative integer so that larger numbers also compare greater as strings. */
export function padCount(value: number, width = 9): string {
  return String(Math.max(0, Math.trunc(value))).padStart(width, '0');
}

// ---------------------------------------------------------------------------------------------
// zod building blocks with messages a user can act on

const describe = (input: unknown): string => (input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input);

export const requiredString = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : `must be a string, got ${describe(i.input)}`) })
  .min(1, 'must not be empty');

export const optionalString = z.string({ error: (i) => `must be a string, got ${describe(i.input)}` }).optional();

export const finiteNumber = z.number({
  error: (i) => (i.input === undefined ? 'is required' : `must be a number, got ${describe(i.input)}`),
});

export const optionalNumber = z.number({ error: (i) => `must be a number, got ${describe(i.input)}` }).optional();

const DATE_MESSAGE = 'must be an ISO 8601 date or date-time with a zone, e.g. 2024-01-31T12:00:00Z';

export const isoDateString = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : `${DATE_MESSAGE}, got ${describe(i.input)}`) })
  .refine(isIsoDate, DATE_MESSAGE);

export const optionalIsoDateString = z
  .string({ error: (i) => `${DATE_MESSAGE}, got ${describe(i.input)}` })
  .refine(isIsoDate, DATE_MESSAGE)
  .optional();

export const optionalObject = z.looseObject({}, { error: (i) => `must be an object, got ${describe(i.input)}` }).optional();

// ---------------------------------------------------------------------------------------------
// Items and issues

/** One item of a request after unwrapping: where it sits, so issues can name it. */
export interface Item {
  value: unknown;
  /** Position of the item in the request (what ValidationIssue.index reports). */
  index: number;
  /** JSON pointer of the item in the body. */
  pointer: string;
  /** The delivery envelope the item came in (EventBridge event, SNS notification), if any. */
  envelope?: JsonObject;
}

/**
 * Gathers every problem of a request; the parser throws once at the end so a request is
 * all-or-nothing and the user sees every bad item at once.
 */
export class IssueList {
  readonly issues: ValidationIssue[] = [];

  add(index: number | null, field: string, message: string): void {
    this.issues.push({ index, field, message });
  }

  /** Records zod issues of `item`, spelling paths the way the body does when it was camelized. */
  addZod(error: z.ZodError, item: Item, camelized?: Camelized): void {
    for (const issue of error.issues) {
      const path = issue.path.map((s) => (typeof s === 'number' ? s : String(s)));
      const spelled = camelized ? camelized.originalPath(path) : path;
      this.add(item.index, joinPointer(item.pointer, spelled), issue.message);
    }
  }

  get count(): number {
    return this.issues.length;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new PayloadValidationError(this.issues);
  }
}

/**
 * Turns a body into items: an array gives one item per element, an object holding one of
 * `listKeys` (a list response such as `{"Findings": [...]}`) one per list element, any other
 * object is a single item. Anything else is an envelope issue.
 */
export function unwrapList(body: unknown, listKeys: readonly string[], issues: IssueList): Item[] {
  if (Array.isArray(body)) return body.map((value, index) => ({ value, index, pointer: `/${index}` }));
  if (!isObject(body)) {
    issues.add(null, '', `expected a JSON object or array, got ${describe(body)}`);
    return [];
  }
  const list = ownAny(body, listKeys);
  if (list === null) return [{ value: body, index: 0, pointer: '' }];
  if (!Array.isArray(list.value)) {
    issues.add(null, joinPointer('', [list.key]), `must be an array, got ${describe(list.value)}`);
    return [];
  }
  return list.value.map((value, index) => ({ value, index, pointer: joinPointer('', [list.key, index]) }));
}

/** Whether `value` looks like an EventBridge event (`detail-type` plus `detail`). */
export function isEventBridgeEvent(value: unknown): value is JsonObject {
  return isObject(value) && Object.hasOwn(value, 'detail-type') && Object.hasOwn(value, 'detail');
}

/**
 * Replaces an EventBridge event by its `detail`, checking the detail type; returns null (after
 * recording an issue) when the event is of another type or carries no object.
 */
export function unwrapEventBridge(item: Item, detailTypes: readonly string[], issues: IssueList): Item | null {
  const event = item.value;
  if (!isEventBridgeEvent(event)) return item;
  const detailType = own(event, 'detail-type');
  if (typeof detailType !== 'string' || !detailTypes.includes(detailType)) {
    issues.add(
      item.index,
      joinPointer(item.pointer, ['detail-type']),
      `unsupported EventBridge detail-type ${JSON.stringify(detailType)}; expected ${detailTypes.map((t) => `"${t}"`).join(' or ')}`,
    );
    return null;
  }
  const detail = own(event, 'detail');
  if (!isObject(detail)) {
    issues.add(item.index, joinPointer(item.pointer, ['detail']), `must be an object, got ${describe(detail)}`);
    return null;
  }
  return { value: detail, index: item.index, pointer: joinPointer(item.pointer, ['detail']), envelope: event };
}

/**
 * Decodes a JSON document carried as a string (SNS `Message`, LookupEvents `CloudTrailEvent`).
 * A pointer cannot enter a string, so fields inside it are reported as the string's pointer
 * followed by the pointer inside the decoded document, e.g. `/Message/anomalyStartDate`.
 */
export function decodeJsonString(item: Item, key: string, issues: IssueList): Item | null {
  const container = item.value;
  const field = joinPointer(item.pointer, [key]);
  const text = isObject(container) ? own(container, key) : undefined;
  if (typeof text !== 'string') {
    issues.add(item.index, field, text === undefined ? 'is required' : `must be a string of JSON, got ${describe(text)}`);
    return null;
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    issues.add(item.index, field, 'is not valid JSON');
    return null;
  }
  if (!isObject(decoded)) {
    issues.add(item.index, field, `must hold a JSON object, got ${describe(decoded)}`);
    return null;
  }
  return { value: decoded, index: item.index, pointer: field, envelope: isObject(container) ? container : undefined };
}
