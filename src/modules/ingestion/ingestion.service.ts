import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { parsers, TEXT_SOURCES } from '#src/connectors/registry.js';
import { PayloadValidationError, type CostRow, type ParseResult, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { CostAggregator } from '#src/modules/cost/cost-series.js';
import { CostService } from '#src/modules/cost/cost.service.js';
import { linkKeysOf } from '#src/modules/correlation/link-keys.js';
import { decodeBody } from '#src/modules/ingestion/body-decoder.js';
import { IngestionErrorCode, IngestionException } from '#src/modules/ingestion/ingestion.exception.js';
import { streamPlan } from '#src/modules/ingestion/streaming/stream-plan.js';
import { issuesInBody, readBatches, StreamTooLarge } from '#src/modules/ingestion/streaming/record-stream.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

export interface IngestResult {
  accepted: number;
  /** Of `accepted`, how many replaced an older version of the same item. */
  updated: number;
  duplicates: number;
  ignored: number;
  /** Daily cost rows stored (FOCUS, Azure and GCP cost exports). */
  costRows: number;
  /** cost_anomaly signals MineWatch's cost detector wrote or changed because of this request. */
  costAnomalies: number;
  signalIds: string[];
  /** Set when a streamed request had more items than the reply lists ids for. */
  signalIdsTruncated?: boolean;
}

/** Progress of a streamed request, for the log and the CLI. */
export interface StreamProgress {
  source: string;
  bytes: number;
  records: number;
  costRows: number;
  signals: number;
}

export interface StreamOptions {
  onProgress?: (progress: StreamProgress) => void;
  /** Overrides MINEWATCH_MAX_STREAM_BYTES (the CLI reads local files of any size). */
  maxBytes?: number;
}

export const SIGNALS_CHANNEL = 'minewatch_signals';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected
/**
 * A streamed body is parsed 500 records at a time and stored about 5,000 rows at a time. Parsing
 * in small batches lets the records (dozens of strings each) die young: a batch of 5,000 records
 * lives long enough to reach V8's old generation, which grows by hundreds of MB before it is collected.
 */
const PARSE_BATCH = 500;
export const STREAM_BATCH = 5_000;
/** A streamed request stops reading once it has this many problems to report. */
const MAX_STREAM_ISSUES = 1_000;
/** Signal ids a streamed reply lists at most (a 1 GB body could name millions). */
const MAX_STREAM_IDS = 10_000;
const PROGRESS_EVERY_MS = 5_000;

function pgCode(error: unknown): string | undefined {
  return (error as { driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
}

/** Retries a transaction PostgreSQL aborted only because of a concurrent one. */
async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = pgCode(error);
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw error;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

/** What one request wrote so far, inside its transaction. */
interface Session {
  tx: EntityManager;
  ingestId: string;
  inserted: number;
  updated: number;
  duplicates: number;
  costRows: number;
  /** Anything the correlation engine should hear about. */
  changed: boolean;
}

const keyOf = (s: Signal) => `${s.source}\u0000${s.sourceId}`;

@Injectable()
export class IngestionService {
  private readonly logger = new Logger(IngestionService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly signals: SignalsRepository,
    private readonly metrics: MetricsService,
    private readonly cost: CostService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  sources(): string[] {
    return Object.keys(parsers).sort();
  }

  private parserOf(source: string) {
    const parser = parsers[source];
    if (!parser) {
      throw new IngestionException(
        IngestionErrorCode.UnknownSource,
        `"${source}" is not an ingest source. Known: ${this.sources().join(', ')}.`,
        [{ index: null, field: 'source', message: 'unknown source' }],
      );
    }
    return parser;
  }

  private rejected(source: string, issues: ValidationIssue[]): IngestionException {
    this.metrics.ingested.inc({ source, outcome: 'rejected' });
    return new IngestionException(
      IngestionErrorCode.InvalidPayload,
      `${issues.length} problem(s) in the ${source} payload; nothing was stored.`,
      issues,
    );
  }

  /**
   * Parses the whole request first; stores all of it in one transaction or nothing. A body that
   * arrives as a stream (CSV, NDJSON) goes to {@link ingestStream}.
   */
  async ingest(
    source: string,
    body: unknown,
    contentType: string | undefined,
    query: Record<string, string | undefined>,
  ): Promise<IngestResult> {
    const parser = this.parserOf(source);
    if (isReadable(body)) return this.ingestStream(source, body, contentType, query);
    const decoded = decodeBody(body, contentType, TEXT_SOURCES.has(source));
    let parsed: ParseResult;
    try {
      parsed = parser(decoded, { receivedAt: new Date(), query });
    } catch (error) {
      if (error instanceof PayloadValidationError) throw this.rejected(source, error.issues);
      throw error;
    }
    const result = await this.store(parsed.signals, parsed.costRows ?? []);
    this.count(source, result, parsed.ignored);
    return { ...result, ignored: parsed.ignored };
  }

  /**
   * A CSV or NDJSON body read from a stream in batches: each batch is parsed by the source's own
   * parser and what it yields is stored every STREAM_BATCH items, inside one transaction for the
   * whole request, so memory stays flat whatever the size and a bad record anywhere still stores nothing.
   * After the first bad batch nothing more is written; the rest is only read for problems (up to
   * MAX_STREAM_ISSUES), so the 400 names them all. Bodies of a type the source cannot stream
   * (CSV for a source without a streaming CSV reader) are read whole, within MINEWATCH_MAX_BODY_BYTES.
   */
  async ingestStream(
    source: string,
    body: Readable,
    contentType: string | undefined,
    query: Record<string, string | undefined>,
    options: StreamOptions = {},
  ): Promise<IngestResult> {
    const parser = this.parserOf(source);
    const plan = streamPlan(source, contentType);
    if (plan === null) return this.ingest(source, await readWhole(body, this.config.maxBodyBytes), contentType, query);
    const maxBytes = options.maxBytes ?? this.config.maxStreamBytes;
    const started = Date.now();
    const ingestId = randomUUID();
    let ignored = 0;
    let signalIds: string[] = [];
    let truncated = false;
    let lastLog = started;
    const issues: ValidationIssue[] = [];
    const progress: StreamProgress = { source, bytes: 0, records: 0, costRows: 0, signals: 0 };
    try {
      const result = await this.ds.transaction(async (tx) => {
        const session = this.session(tx, ingestId);
        // Cost rows are summed per series-day as they are parsed: what waits for the next write is
        // one entry per series-day, not every row.
        let pending = { signals: [] as Signal[], cost: new CostAggregator() };
        // One write in flight while the next batch is read and parsed: PostgreSQL works on one
        // batch while Node parses the next, on another core. Writes still run one after the other,
        // in order, on the request's one connection.
        let writing: Promise<void> = Promise.resolve();
        const flush = async () => {
          const batch = pending;
          pending = { signals: [], cost: new CostAggregator() };
          await writing;
          writing = this.write(session, batch.signals, batch.cost).then((ids) => {
            if (signalIds.length + ids.length <= MAX_STREAM_IDS) signalIds = signalIds.concat(ids);
            else truncated = true;
            progress.signals += batch.signals.length;
            progress.costRows = session.costRows;
          });
          // Observed here so that a failed write is not reported as unhandled before it is awaited.
          writing.catch(() => undefined);
        };
        for await (const batch of readBatches(body, { ...plan, maxBytes, batchSize: PARSE_BATCH })) {
          issues.push(...batch.issues);
          let parsed: ParseResult | null = null;
          if (batch.items.length > 0) {
            try {
              parsed = parser(batch.items, { receivedAt: new Date(started), query });
            } catch (error) {
              if (!(error instanceof PayloadValidationError)) throw error;
              issues.push(...issuesInBody(error.issues, batch, plan.format));
            }
          }
          if (issues.length >= MAX_STREAM_ISSUES) break;
          if (issues.length === 0 && parsed) {
            ignored += parsed.ignored;
            for (const s of parsed.signals) pending.signals.push(s);
            pending.cost.add(parsed.costRows ?? []);
            // Written when ~5,000 rows are ready to insert: signals, or series-day sums (an hourly
            // export sums 24 rows into one; ten batches of source rows at most).
            if (pending.signals.length + pending.cost.entries >= STREAM_BATCH || pending.cost.rows >= 10 * STREAM_BATCH) await flush();
          }
          progress.bytes = batch.bytes;
          progress.records = batch.records;
          options.onProgress?.({ ...progress });
          if (Date.now() - lastLog >= PROGRESS_EVERY_MS) {
            lastLog = Date.now();
            const memory = process.memoryUsage();
            this.logger.log(
              {
                ingestId,
                ...progress,
                ms: lastLog - started,
                rssMb: Math.round(memory.rss / 1048576),
                heapUsedMb: Math.round(memory.heapUsed / 1048576),
              },
              'streaming ingest in progress',
            );
          }
        }
        if (issues.length === 0) await flush();
        await writing;
        // Problems found while reading a batch come before the parser's: put them in body order.
        if (issues.length > 0) throw this.rejected(source, byIndex(issues).slice(0, MAX_STREAM_ISSUES));
        return this.finish(session);
      });
      this.count(source, result, ignored);
      this.logger.log(
        { ingestId, ...progress, ms: Date.now() - started, costAnomalies: result.costAnomalies },
        'streaming ingest committed',
      );
      return { ...result, ignored, signalIds, ...(truncated ? { signalIdsTruncated: true } : {}) };
    } catch (error) {
      if (error instanceof StreamTooLarge) {
        throw new CommonException(
          CommonErrorCode.PayloadTooLarge,
          `The body is larger than ${error.limit} bytes (MINEWATCH_MAX_STREAM_BYTES); nothing was stored.`,
          [{ index: null, field: '/', message: `larger than ${error.limit} bytes` }],
        );
      }
      // A stream cannot be read twice, so unlike a buffered request it is not retried here: the
      // client sends it again.
      if (RETRYABLE.has(pgCode(error) ?? '')) {
        throw new CommonException(
          CommonErrorCode.Unavailable,
          'A concurrent request wrote the same cost series and PostgreSQL aborted this one; nothing was stored. Send it again.',
          undefined,
          { 'retry-after': '1' },
        );
      }
      throw error;
    }
  }

  /** Stores normalized signals and cost rows in one transaction (pull connectors, the CLI, tests). */
  async store(signals: Signal[], costRows: CostRow[] = []): Promise<Omit<IngestResult, 'ignored'>> {
    const ingestId = randomUUID();
    let ids: string[] = [];
    const outcome = await withRetry(() =>
      this.ds.transaction(async (tx) => {
        const session = this.session(tx, ingestId);
        ids = await this.write(session, signals, costRows);
        return this.finish(session);
      }),
    );
    return { ...outcome, signalIds: ids };
  }

  /** Daily cost rows alone (the path pull connectors' cost fetches take). */
  async storeCostRows(rows: CostRow[]): Promise<Omit<IngestResult, 'ignored'>> {
    return this.store([], rows);
  }

  private session(tx: EntityManager, ingestId: string): Session {
    return { tx, ingestId, inserted: 0, updated: 0, duplicates: 0, costRows: 0, changed: false };
  }

  /** Writes one batch of a request; returns the signal id of each input signal, in order. */
  private async write(session: Session, signals: Signal[], costRows: readonly CostRow[] | CostAggregator): Promise<string[]> {
    const ids = await this.writeSignals(session, signals);
    session.costRows += await this.cost.write(session.tx, session.ingestId, costRows);
    return ids;
  }

  private async writeSignals(session: Session, signals: Signal[]): Promise<string[]> {
    if (signals.length === 0) return [];
    // The same item twice in one batch: keep its newest version, answer both with one id.
    const newest = new Map<string, number>();
    signals.forEach((s, i) => {
      const seen = newest.get(keyOf(s));
      if (seen === undefined || signals[seen]!.sourceVersion < s.sourceVersion) newest.set(keyOf(s), i);
    });
    // Rows are written in key order: two requests upserting the same items lock them in the same
    // order and cannot deadlock.
    const unique = [...new Set(newest.values())].sort((a, b) =>
      keyOf(signals[a]!) < keyOf(signals[b]!) ? -1 : keyOf(signals[a]!) > keyOf(signals[b]!) ? 1 : 0,
    );
    const written = await this.signals.upsert(
      session.tx,
      unique.map((i) => ({ signal: signals[i]!, linkKeys: linkKeysOf(signals[i]!) })),
    );
    session.inserted += written.inserted;
    session.updated += written.updated;
    session.duplicates += signals.length - written.inserted - written.updated;
    if (written.inserted + written.updated > 0) session.changed = true;
    // A native cost anomaly takes over the detector's own anomaly of the same spend.
    if ((await this.cost.supersede(session.tx, signals)) > 0) session.changed = true;
    const idByKey = new Map(unique.map((i, n) => [keyOf(signals[i]!), written.ids[n]!]));
    return signals.map((s) => idByKey.get(keyOf(s))!);
  }

  /**
   * Ends a request inside its transaction: runs the cost detector over the series it touched (its
   * signals are written like any others, so a 2xx always includes them) and wakes the correlation
   * engine once, at commit.
   */
  private async finish(session: Session): Promise<Omit<IngestResult, 'ignored' | 'signalIds'>> {
    // The detector's own signals are not the request's items: they do not count as accepted.
    const counts = { inserted: session.inserted, updated: session.updated, duplicates: session.duplicates };
    const costAnomalies =
      session.costRows > 0
        ? await this.cost.detect(session.tx, session.ingestId, async (s) => void (await this.writeSignals(session, s)))
        : 0;
    if (session.changed || costAnomalies > 0) await session.tx.query(`SELECT pg_notify($1, '')`, [SIGNALS_CHANNEL]);
    return {
      accepted: counts.inserted + counts.updated,
      updated: counts.updated,
      duplicates: counts.duplicates,
      costRows: session.costRows,
      costAnomalies,
    };
  }

  private count(
    source: string,
    result: Pick<IngestResult, 'accepted' | 'duplicates' | 'costRows' | 'costAnomalies'>,
    ignored: number,
  ): void {
    this.metrics.ingested.inc({ source, outcome: 'accepted' }, result.accepted);
    this.metrics.ingested.inc({ source, outcome: 'duplicate' }, result.duplicates);
    this.metrics.ingested.inc({ source, outcome: 'ignored' }, ignored);
    this.logger.log(
      {
        source,
        accepted: result.accepted,
        duplicates: result.duplicates,
        ignored,
        costRows: result.costRows,
        costAnomalies: result.costAnomalies,
      },
      'ingested',
    );
  }
}

function byIndex(issues: ValidationIssue[]): ValidationIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.index ?? -1) - (b.issue.index ?? -1) || a.i - b.i)
    .map((x) => x.issue);
}

export function isReadable(body: unknown): body is Readable {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Readable).pipe === 'function' &&
    typeof (body as Readable).on === 'function'
  );
}

/** A stream the source cannot take batch by batch, read whole within the JSON body limit. */
async function readWhole(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    if (total > limit) {
      throw new CommonException(
        CommonErrorCode.PayloadTooLarge,
        `The body is larger than ${limit} bytes (MINEWATCH_MAX_BODY_BYTES); nothing was stored.`,
        [{ index: null, field: '/', message: `larger than ${limit} bytes` }],
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
