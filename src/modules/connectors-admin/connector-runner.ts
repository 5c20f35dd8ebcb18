import { Inject, Injectable, Logger } from '@nestjs/common';
import { parsers } from '#src/connectors/registry.js';
import type { CostRow, Signal } from '#src/connectors/signal.js';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import type { ConnectorEntity, RunStatus, StreamOutcome } from '#src/modules/connectors-admin/connector.entity.js';
import { ConnectorSecretStore } from '#src/modules/connectors-admin/connector-secrets.js';
import { ConnectorsRepository } from '#src/modules/connectors-admin/connectors.repository.js';
import { safeErrorMessage, withBackoff } from '#src/modules/connectors-admin/fetchers/call-policy.js';
import type {
  ConnectorSecrets,
  ConnectorView,
  Json,
  RunMemory,
  StreamContext,
  StreamFetcher,
} from '#src/modules/connectors-admin/fetchers/fetcher.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';
import { loadFetchers } from '#src/modules/connectors-admin/fetchers/index.js';
import { nextWindow } from '#src/modules/connectors-admin/fetchers/windows.js';

/** A run holds its connector this long past its last page; a worker that dies frees it by then. */
export const LEASE_MS = 5 * 60_000;
const CALL_ATTEMPTS = 6;
const MAX_BACKOFF_MS = 30_000;

interface Tally {
  items: number;
  pages: number;
  throttled: number;
  streams: Record<string, StreamOutcome>;
  errors: string[];
  succeededStreams: number;
}

class LeaseLost extends Error {
  constructor() {
    super('the run lost its lease on the connector (another worker took over)');
  }
}

/**
 * Executes one run: every stream of the connector in every scope, each from its checkpoint. A
 * window in progress is resumed at the page where it stopped; a finished one moves the watermark,
 * so no window is fetched twice. Each page is stored (idempotently) before the checkpoint moves
 * past it. A stream that fails leaves its checkpoint at the failing page and the others go on; the
 * error, without any credential, lands on the run and the connector's status.
 */
@Injectable()
export class ConnectorRunner {
  private readonly logger = new Logger(ConnectorRunner.name);
  private stopping = false;

  constructor(
    private readonly repo: ConnectorsRepository,
    private readonly secrets: ConnectorSecretStore,
    private readonly ingestion: IngestionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Runs stop between pages once the process is shutting down; the next run resumes them. */
  stop(): void {
    this.stopping = true;
  }

  async execute(runId: string): Promise<void> {
    const claim = await this.repo.claimRun(runId, LEASE_MS);
    if (!claim.ok) {
      if (claim.reason === 'busy' || claim.reason === 'paused') this.logger.log({ runId, reason: claim.reason }, 'connector run skipped');
      return;
    }
    const connector = claim.connector;
    let secrets: ConnectorSecrets;
    try {
      secrets = await this.secrets.open(connector.secretsSealed, connector.id);
    } catch (error) {
      const message = safeErrorMessage(error, []);
      this.logger.error({ connectorId: connector.id, runId }, `connector secrets could not be opened: ${message}`);
      await this.repo.failRun(connector.id, runId, `the stored secrets could not be opened: ${message}`);
      return;
    }
    const view: ConnectorView = {
      id: connector.id,
      provider: connector.provider,
      scopes: connector.scopes,
      streams: connector.streams,
      settings: connector.settings,
      credentialSource: connector.credentialSource,
      secrets,
      backfillDays: connector.backfillDays,
    };
    const known = Object.values(secrets);
    const tally: Tally = { items: 0, pages: 0, throttled: 0, streams: {}, errors: [], succeededStreams: 0 };
    const run: RunMemory = { named: [], sessions: new Map() };
    const started = Date.now();
    try {
      for (const fetcher of await loadFetchers(connector.provider)) {
        if (!connector.streams.includes(fetcher.stream)) continue;
        const outcome: StreamOutcome = { items: 0, pages: 0 };
        tally.streams[fetcher.stream] = outcome;
        for (const scope of fetcher.scopes(view)) {
          try {
            await this.runStream(runId, connector, view, fetcher, scope, run, tally, outcome);
          } catch (error) {
            if (error instanceof LeaseLost) throw error;
            const message = safeErrorMessage(error, known);
            const line = `${fetcher.stream} ${scope}: ${message}`;
            outcome.error = outcome.error ? `${outcome.error}; ${line}` : line;
            tally.errors.push(line);
            this.logger.warn({ connectorId: connector.id, runId, stream: fetcher.stream, scope }, `stream failed: ${message}`);
          }
        }
        if (!outcome.error) tally.succeededStreams += 1;
      }
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      this.logger.warn({ connectorId: connector.id, runId }, error.message);
      return;
    } finally {
      for (const s of run.sessions.values()) s.close();
    }
    const status: RunStatus =
      tally.errors.length === 0 ? 'succeeded' : tally.succeededStreams > 0 || tally.items > 0 ? 'partial' : 'failed';
    const error = tally.errors.length === 0 ? null : safeErrorMessage({ message: tally.errors.join('; ') }, known);
    await this.repo.finishRun(connector.id, runId, {
      status,
      itemsFetched: tally.items,
      pages: tally.pages,
      throttled: tally.throttled,
      streams: tally.streams,
      error,
    });
    this.logger.log(
      {
        connectorId: connector.id,
        runId,
        status,
        items: tally.items,
        pages: tally.pages,
        throttled: tally.throttled,
        ms: Date.now() - started,
      },
      'connector run finished',
    );
  }

  private async runStream(
    runId: string,
    connector: ConnectorEntity,
    view: ConnectorView,
    fetcher: StreamFetcher,
    scope: string,
    run: RunMemory,
    tally: Tally,
    outcome: StreamOutcome,
  ): Promise<void> {
    const now = new Date();
    const saved = await this.repo.checkpoint(connector.id, fetcher.stream, scope);
    const state: Record<string, unknown> = { ...(saved?.state ?? {}) };
    let watermark = saved?.watermark ?? null;
    // The last run stopped inside this window: finish it first, from the page it stopped at.
    let resume =
      saved?.windowStart && saved.windowEnd
        ? { start: saved.windowStart, end: saved.windowEnd, cursor: (saved.pageCursor ?? null) as Json }
        : null;
    const call: StreamContext['call'] = (operation, fn) =>
      withBackoff(fn, {
        attempts: CALL_ATTEMPTS,
        baseMs: this.config.connectors.retryBaseMs,
        maxMs: MAX_BACKOFF_MS,
        onRetry: (verdict, attempt, delayMs) => {
          if (verdict.throttled) tally.throttled += 1;
          this.logger.debug(
            { connectorId: connector.id, operation, attempt, delayMs, throttled: verdict.throttled },
            'retrying a cloud call',
          );
        },
      });
    const parse: StreamContext['parse'] = (source, body) => {
      const parser = parsers[source];
      if (!parser) throw new Error(`no parser for ${source} is registered`);
      return parser(body, { receivedAt: now, query: {} });
    };
    // Window after window until the stream is caught up (a resumed window, then what came since).
    for (;;) {
      let window =
        resume ??
        nextWindow(watermark, now, { lagMs: fetcher.lagMs, granularity: fetcher.granularity, backfillDays: connector.backfillDays });
      // No new time, but resources this run named for the first time (CPU of a new instance): an
      // empty window lets the fetcher catch them up to where the stream already stands.
      if (!window && watermark && fetcher.hasPendingWork?.(scope, state, run)) window = { start: watermark, end: watermark };
      if (!window) return;
      let cursor: Json = resume?.cursor ?? null;
      resume = null;
      await this.repo.saveCheckpoint(connector.id, fetcher.stream, scope, {
        watermark,
        windowStart: window.start,
        windowEnd: window.end,
        pageCursor: cursor,
        state,
      });
      const ctx: StreamContext = { connector: view, scope, window: { start: window.start, end: window.end }, state, run, now, call, parse };
      for (;;) {
        if (this.stopping) throw new Error('the worker is shutting down; the next run resumes here');
        const page = await fetcher.fetchPage(ctx, cursor);
        await this.store(view, page.signals, page.costRows, run);
        tally.items += page.items;
        tally.pages += 1;
        outcome.items += page.items;
        outcome.pages += 1;
        if (page.next !== null && JSON.stringify(page.next) === JSON.stringify(cursor)) {
          // A page that names itself as the next one would loop for ever.
          throw new Error(`the API answered with the same page token again (${fetcher.stream})`);
        }
        cursor = page.next;
        const done = cursor === null;
        if (done) watermark = window.end;
        await this.repo.saveCheckpoint(
          connector.id,
          fetcher.stream,
          scope,
          done
            ? { watermark, windowStart: null, windowEnd: null, pageCursor: null, state }
            : { watermark, windowStart: window.start, windowEnd: window.end, pageCursor: cursor, state },
        );
        if (!(await this.repo.renewLease(connector.id, runId, LEASE_MS))) throw new LeaseLost();
        if (done) break;
      }
    }
  }

  /** Keeps what belongs to the connector's scopes, stores it, and remembers the resources it names. */
  private async store(view: ConnectorView, signals: Signal[], costRows: CostRow[], run: RunMemory): Promise<void> {
    // A billing export or an organization-wide listing covers more than the connector's scopes.
    const scopes = new Set(view.scopes.map((s) => s.toLowerCase()));
    const mine = signals.filter((s) => scopes.has(s.accountId.toLowerCase()));
    const myCost = costRows.filter((r) => scopes.has(r.accountId.toLowerCase()));
    // The path pushed payloads take: signals and cost rows in one transaction, correlation notified.
    if (mine.length > 0 || myCost.length > 0) await this.ingestion.store(mine, myCost);
    for (const s of mine) {
      for (const r of s.resources) run.named.push({ ...r, seenAt: s.observedAt });
    }
  }
}
