import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Job, PgBoss, type Queue, type SendOptions, type WorkOptions } from 'pg-boss';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';

export type { Job };

/**
 * The PostgreSQL-backed job queue (pg-boss) every replica shares: jobs, schedules and webhook
 * deliveries live in the database, never in process memory. Started lazily on first use so a
 * process that never queues anything does not install or poll it.
 */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private boss: PgBoss | null = null;
  private starting: Promise<PgBoss> | null = null;
  private readonly queues = new Set<string>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    // Only a process that started the queue reports it: a scrape never installs pg-boss.
    metrics.onScrape(async () => {
      if (!this.boss) return;
      for (const q of await this.boss.getQueues()) {
        metrics.queueDepth.set({ queue: q.name, state: 'queued' }, q.queuedCount);
        metrics.queueDepth.set({ queue: q.name, state: 'active' }, q.activeCount);
        metrics.queueDepth.set({ queue: q.name, state: 'deferred' }, q.deferredCount);
      }
    });
  }

  /** Workers run only in the `worker` and `all` roles. */
  get runsWorkers(): boolean {
    return this.config.role !== 'api';
  }

  async instance(): Promise<PgBoss> {
    if (this.boss) return this.boss;
    this.starting ??= (async () => {
      const boss = new PgBoss({
        connectionString: (this.ds.options as { url: string }).url,
        schema: 'pgboss',
        application_name: 'minewatch-queue',
        max: 5,
        // Scheduling and maintenance run in one elected process at a time (pg-boss's own locks).
        schedule: this.runsWorkers,
        supervise: this.runsWorkers,
      });
      boss.on('error', (error: Error) => this.logger.error({ err: error }, 'queue error'));
      await boss.start();
      this.boss = boss;
      return boss;
    })();
    return this.starting;
  }

  async ensureQueue(name: string, options: Omit<Queue, 'name'> = {}): Promise<void> {
    if (this.queues.has(name)) return;
    const boss = await this.instance();
    await boss.createQueue(name, options);
    this.queues.add(name);
  }

  async send(name: string, data: object, options: SendOptions = {}): Promise<string | null> {
    await this.ensureQueue(name);
    return (await this.instance()).send(name, data, options);
  }

  /**
   * Registers a handler for a queue. Measured here: batchSize 1 does about 4 jobs/s (each worker
   * sleeps its polling interval after every fetch); batches of 50 with two local workers do
   * thousands per second across processes, each job exactly once.
   */
  async work<T extends object>(name: string, options: WorkOptions, handler: (jobs: Job<T>[]) => Promise<unknown>): Promise<string | null> {
    if (!this.runsWorkers) return null;
    await this.ensureQueue(name);
    return (await this.instance()).work<T>(
      name,
      { batchSize: 50, localConcurrency: 2, pollingIntervalSeconds: 0.5, ...options } as WorkOptions,
      handler,
    );
  }

  /**
   * Runs `handler` on a cron schedule (UTC), once per slot however many replicas run: pg-boss's
   * schedule sends one job per slot, and one worker takes it.
   */
  async every(name: string, cron: string, handler: () => Promise<unknown>, options: WorkOptions = { batchSize: 1 }): Promise<void> {
    if (!this.runsWorkers) return;
    await this.ensureQueue(name);
    await (await this.instance()).schedule(name, cron, {}, { tz: 'UTC' });
    await this.work(name, options, handler);
  }

  async onApplicationShutdown(): Promise<void> {
    const boss = this.boss ?? (await this.starting?.catch(() => null));
    if (boss)
      await boss.stop({ graceful: true, timeout: 10_000 }).catch((error: unknown) => this.logger.warn({ err: error }, 'queue stop'));
  }
}
