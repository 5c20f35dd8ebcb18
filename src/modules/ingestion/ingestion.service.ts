import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { parsers, TEXT_SOURCES } from '#src/connectors/registry.js';
import { PayloadValidationError, type Signal } from '#src/connectors/signal.js';
import { linkKeysOf } from '#src/modules/correlation/link-keys.js';
import { decodeBody } from '#src/modules/ingestion/body-decoder.js';
import { IngestionErrorCode, IngestionException } from '#src/modules/ingestion/ingestion.exception.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

export interface IngestResult {
  accepted: number;
  /** Of `accepted`, how many replaced an older version of the same item. */
  updated: number;
  duplicates: number;
  ignored: number;
  signalIds: string[];
}

export const SIGNALS_CHANNEL = 'minewatch_signals';

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected

/** Retries a transaction PostgreSQL aborted only because of a concurrent one. */
async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw error;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

@Injectable()
export class IngestionService {
  private readonly logger = new Logger(IngestionService.name);

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly signals: SignalsRepository,
    private readonly metrics: MetricsService,
  ) {}

  sources(): string[] {
    return Object.keys(parsers).sort();
  }

  /** Parses the whole request first; stores all of it in one transaction or nothing. */
  async ingest(source: string, body: unknown, contentType: string | undefined, query: Record<string, string | undefined>): Promise<IngestResult> {
    const parser = parsers[source];
    if (!parser) {
      throw new IngestionException(IngestionErrorCode.UnknownSource, `"${source}" is not an ingest source. Known: ${this.sources().join(', ')}.`, [
        { index: null, field: 'source', message: 'unknown source' },
      ]);
    }
    const decoded = decodeBody(body, contentType, TEXT_SOURCES.has(source));
    let parsed;
    try {
      parsed = parser(decoded, { receivedAt: new Date(), query });
    } catch (error) {
      if (error instanceof PayloadValidationError) {
        this.metrics.ingested.inc({ source, outcome: 'rejected' });
        throw new IngestionException(
          IngestionErrorCode.InvalidPayload,
          `${error.issues.length} problem(s) in the ${source} payload; nothing was stored.`,
          error.issues,
        );
      }
      throw error;
    }
    const result = await this.store(parsed.signals);
    this.metrics.ingested.inc({ source, outcome: 'accepted' }, result.accepted);
    this.metrics.ingested.inc({ source, outcome: 'duplicate' }, result.duplicates);
    this.metrics.ingested.inc({ source, outcome: 'ignored' }, parsed.ignored);
    this.logger.log({ source, accepted: result.accepted, duplicates: result.duplicates, ignored: parsed.ignored }, 'ingested');
    return { ...result, ignored: parsed.ignored };
  }

  /** Stores normalized signals (also used by pull connectors and the CLI). */
  async store(signals: Signal[]): Promise<Omit<IngestResult, 'ignored'>> {
    // The same item twice in one request: keep its newest version, answer both with one id.
    const newest = new Map<string, number>();
    signals.forEach((s, i) => {
      const key = `${s.source}\u0000${s.sourceId}`;
      const seen = newest.get(key);
      if (seen === undefined || signals[seen]!.sourceVersion < s.sourceVersion) newest.set(key, i);
    });
    // Rows are written in key order: two requests upserting the same items lock them in the same
    // order and cannot deadlock.
    const key = (i: number) => `${signals[i]!.source}\u0000${signals[i]!.sourceId}`;
    const unique = [...new Set(newest.values())].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const outcome = await withRetry(() =>
      this.ds.transaction(async (tx) => {
        const written = await this.signals.upsert(
          tx,
          unique.map((i) => ({ signal: signals[i]!, linkKeys: linkKeysOf(signals[i]!) })),
        );
        if (written.inserted + written.updated > 0) await tx.query(`SELECT pg_notify($1, '')`, [SIGNALS_CHANNEL]);
        return written;
      }),
    );
    const idByKey = new Map(unique.map((i, n) => [`${signals[i]!.source}\u0000${signals[i]!.sourceId}`, outcome.ids[n]!]));
    return {
      accepted: outcome.inserted + outcome.updated,
      updated: outcome.updated,
      duplicates: signals.length - outcome.inserted - outcome.updated,
      signalIds: signals.map((s) => idByKey.get(`${s.source}\u0000${s.sourceId}`)!),
    };
  }
}
