/**
 * The contract between the run loop and the per-cloud fetchers. A fetcher knows one stream of one
 * cloud (GuardDuty findings, Cost Management rows …): which scopes it runs in, how its windows are
 * cut, and how to fetch one page of a window with the cloud's real SDK. It hands every response
 * to the matching parser of `src/connectors` and returns the result; the run loop stores it and
 * moves the checkpoint. Fetchers never touch the database.
 */
import type { CostRow, ParseResult, Provider, ResourceRef, Signal } from '#src/connectors/signal.js';
import type { ConnectorSettings } from '#src/modules/connectors-admin/connector.entity.js';

/** JSON a page cursor may hold: it is stored in the checkpoint between runs. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Secrets of a connector, opened only in the memory of the run that uses them. */
export interface ConnectorSecrets {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** A bearer token (Azure ARM, Google OAuth) used as it is. */
  token?: string;
  externalId?: string;
}

/** What a fetcher knows of the connector it works for. */
export interface ConnectorView {
  id: string;
  provider: Provider;
  scopes: string[];
  streams: string[];
  settings: ConnectorSettings;
  credentialSource: 'default' | 'static' | 'token';
  secrets: ConnectorSecrets;
  backfillDays: number;
}

/** [start, end): the slice of time one run fetches for one stream and scope. */
export interface TimeWindow {
  start: Date;
  end: Date;
}

/** A resource named by a signal of this run, with when it was seen: CPU metrics follow these. */
export interface NamedResource extends ResourceRef {
  seenAt: string;
}

/** Memory shared by the streams of one run, in the order they run. */
export interface RunMemory {
  named: NamedResource[];
  /** SDK clients and credential providers, made once per run and closed at its end. */
  sessions: Map<string, { value: unknown; close(): void }>;
}

/** The run's SDK session for `key`, made on first use. */
export function session<T>(run: RunMemory, key: string, create: () => T, close: (value: T) => void = () => undefined): T {
  const found = run.sessions.get(key);
  if (found) return found.value as T;
  const value = create();
  run.sessions.set(key, { value, close: () => close(value) });
  return value;
}

export interface PageResult {
  signals: Signal[];
  costRows: CostRow[];
  /** Items the cloud returned on this page (findings, events, rows, datapoints). */
  items: number;
  /** Where the next page of this window starts; null when the window is complete. */
  next: Json;
}

export interface StreamContext {
  connector: ConnectorView;
  /** The scope this call works in, as `scopes()` returned it. */
  scope: string;
  window: TimeWindow;
  /** The stream's memory in this scope, kept with its checkpoint; the fetcher may change it. */
  state: Record<string, unknown>;
  run: RunMemory;
  now: Date;
  /** Calls the cloud, retrying throttling and transient errors with backoff. */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Hands a native response to the parser of `source` (e.g. `aws.guardduty`). */
  parse(source: string, body: unknown): ParseResult;
}

export type Granularity = 'instant' | 'hour' | 'day';

export interface StreamFetcher {
  provider: Provider;
  /** The name users put in `collect`, e.g. `guardduty`. */
  stream: string;
  description: string;
  /** Windows end this long before now: how late the source completes what it reports. */
  lagMs: number;
  /** Windows end on whole hours or days where the source reports per hour or day. */
  granularity: Granularity;
  scopes(connector: ConnectorView): string[];
  fetchPage(ctx: StreamContext, cursor: Json): Promise<PageResult>;
  /** Work that needs no new window: resources this run named that the stream does not follow yet. */
  hasPendingWork?(scope: string, state: Record<string, unknown>, run: RunMemory): boolean;
}

/** A page with nothing on it. */
export function emptyPage(next: Json = null): PageResult {
  return { signals: [], costRows: [], items: 0, next };
}

/**
 * SDK output as the JSON the cloud sent: Dates become ISO strings and the SDK's own `$metadata`
 * is dropped, so parsers see the same shape a user would post to `/v1/ingest`.
 */
export function asWireJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === '$metadata' ? undefined : v)));
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function startOfUtcDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}
