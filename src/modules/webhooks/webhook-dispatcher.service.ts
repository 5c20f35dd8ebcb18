import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { INCIDENT_EVENTS_CHANNEL } from '#src/modules/incidents/incidents.repository.js';
import { endpointWants } from '#src/modules/webhooks/event-types.js';
import { Pump } from '#src/modules/webhooks/pump.js';
import { WebhookJobs } from '#src/modules/webhooks/webhook-jobs.js';
import { WebhookMessages } from '#src/modules/webhooks/webhook-messages.js';
import { WebhooksRepository } from '#src/modules/webhooks/webhooks.repository.js';

const BATCH = 200;
// NOTIFY wakes the dispatcher at once; the poll catches events whose transaction was still open
// behind an older one when their NOTIFY arrived, and any NOTIFY lost with a dropped connection.
const POLL_MS = 1000;

/**
 * The transactional outbox's reader: turns committed incident timeline rows into one delivery per
 * matching endpoint, and a wake-up job per delivery, in the same transaction that moves the cursor.
 * Any replica may run it; the cursor row's lock makes one of them do each batch.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly pump = new Pump(
    () => this.drain(0).then(() => undefined),
    (error) => this.logger.error({ err: error }, 'webhook fan-out failed; the events stay in the outbox and are retried'),
  );
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: WebhooksRepository,
    private readonly messages: WebhookMessages,
    private readonly jobs: WebhookJobs,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.jobs.prepare();
    this.listener = new pg.Client({
      connectionString: (this.ds.options as { url: string }).url,
      application_name: 'minewatch-webhook-dispatcher',
    });
    this.listener.on('notification', () => this.pump.kick());
    this.listener.on('error', (error) => this.logger.warn(`incident event listener lost: ${error.message}`));
    await this.listener.connect();
    await this.listener.query(`LISTEN ${INCIDENT_EVENTS_CHANNEL}`);
    this.timer = setInterval(() => this.pump.kick(), POLL_MS);
    this.timer.unref();
    this.pump.kick();
  }

  /** Lets a fan-out in progress commit before the database pool closes at application shutdown. */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pump.stop().catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * Fans out everything committed so far; returns how many deliveries it created. Committed events
   * that still wait for an older transaction elsewhere on the server to end are waited for (up to
   * `waitMs`), so "so far" holds even while other work runs on the same PostgreSQL.
   */
  async drain(waitMs = 10_000): Promise<number> {
    let total = 0;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const batch = await this.fanOutBatch();
      if (batch !== null) {
        total += batch;
        continue;
      }
      if (Date.now() > deadline || !(await this.repo.heldBack(await this.repo.cursor()))) return total;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** One batch in one transaction; null when there was nothing (or another replica has the cursor). */
  private async fanOutBatch(): Promise<number | null> {
    const result = await this.repo.transaction(async (tx) => {
      // Read first, before this transaction holds an id of its own.
      const xmin = await this.repo.snapshotXmin(tx);
      const cursor = await this.repo.lockCursor(tx);
      if (!cursor) return null;
      const events = await this.repo.eventsAfter(tx, cursor, xmin, BATCH);
      if (events.length === 0) return null;
      const endpoints = await this.repo.activeEndpoints(tx);
      const queued: Array<{ id: string }> = [];
      for (const event of events) {
        // An endpoint hears of changes made after it was created; replay covers the earlier ones.
        const listening = endpoints.filter((e) => e.createdAt <= event.at);
        if (listening.length === 0) continue;
        const message = await this.messages.build(tx, event);
        if (!message) continue;
        const targets = listening.filter((e) =>
          endpointWants(e, { type: message.eventType, severity: message.severity, providers: message.providers }),
        );
        if (targets.length === 0) continue;
        await this.repo.insertMessage(tx, message);
        const ids = await this.repo.insertDeliveries(
          tx,
          event.id,
          targets.map((t) => t.id),
        );
        queued.push(...ids.map((id) => ({ id })));
      }
      await this.jobs.enqueue(tx, queued);
      const last = events[events.length - 1]!;
      await this.repo.moveCursor(tx, { lastTxId: last.txId, lastEventId: last.id });
      return { events: events.length, deliveries: queued.length };
    });
    if (!result) return null;
    if (result.deliveries > 0) this.logger.debug(result, 'webhook deliveries queued');
    return result.deliveries;
  }
}
