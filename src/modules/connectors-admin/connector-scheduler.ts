import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Db } from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { ConnectorRunner } from '#src/modules/connectors-admin/connector-runner.js';
import { ConnectorsRepository, type QueuedRun } from '#src/modules/connectors-admin/connectors.repository.js';
import { type Job, QueueService } from '#src/platform/queue/queue.service.js';

/** The scheduler's tick: pg-boss cron sends one per minute across every replica. */
export const TICK_QUEUE = 'connector-tick';
/** One job per connector run; the run row is the truth, the job says "run it now". */
export const RUN_QUEUE = 'connector-run';
export const TICK_CRON = '* * * * *';
const DISPATCH_BATCH = 100;
/** A queued run whose job went missing is queued again after this long. */
const REQUEUE_AFTER_MS = 15 * 60_000;

export interface RunJob {
  runId: string;
  connectorId: string;
}

function onTransaction(tx: EntityManager): Db {
  const runner = tx.queryRunner;
  if (!runner) throw new Error('a connector run must be queued inside a transaction');
  return { executeSql: async (text, values) => ({ rows: (await runner.query(text, values as unknown[], true)).records }) };
}

/**
 * Scheduling through pg-boss, never in-process timers: a cron schedule (one job per minute however
 * many replicas run) wakes the dispatcher, which turns every connector whose tick has come into one
 * run row and one run job, under FOR UPDATE SKIP LOCKED and a unique (connector, tick). Creating or
 * resuming a connector sends a tick at once, so its first run does not wait for the minute.
 */
@Injectable()
export class ConnectorScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConnectorScheduler.name);
  private working = false;

  constructor(
    private readonly queue: QueueService,
    private readonly repo: ConnectorsRepository,
    private readonly runner: ConnectorRunner,
  ) {}

  /** Creates the queues; call outside any transaction (pg-boss may install itself on first use). */
  async prepare(): Promise<void> {
    await this.queue.ensureQueue(TICK_QUEUE, { expireInSeconds: 300, retryLimit: 1, deleteAfterSeconds: 3600 });
    // A run may take long (a first run backfills 35 days); the lease on the connector, not the
    // job's expiry, is what frees a connector whose worker died.
    await this.queue.ensureQueue(RUN_QUEUE, { expireInSeconds: 4 * 3600, retryLimit: 2, retryDelay: 30, deleteAfterSeconds: 7 * 86_400 });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.queue.runsWorkers) return;
    await this.prepare();
    await this.queue.every(
      TICK_QUEUE,
      TICK_CRON,
      async () => {
        try {
          await this.tick();
        } catch (error) {
          this.logger.error({ err: error }, 'connector dispatch failed; the next tick retries it');
          throw error;
        }
      },
      { batchSize: 10, localConcurrency: 1, pollingIntervalSeconds: 1 },
    );
    this.working =
      (await this.queue.work<RunJob>(
        RUN_QUEUE,
        { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 1 },
        async (jobs: Job<RunJob>[]) => {
          for (const job of jobs) await this.runner.execute(job.data.runId);
        },
      )) !== null;
    this.logger.log('connector scheduler started');
  }

  async onModuleDestroy(): Promise<void> {
    this.runner.stop();
    if (!this.working) return;
    this.working = false;
    const boss = await this.queue.instance();
    await boss.offWork(TICK_QUEUE, { wait: true }).catch(() => undefined);
    await boss.offWork(RUN_QUEUE, { wait: true }).catch(() => undefined);
  }

  /** One dispatch pass: every connector whose tick has come gets its run. Safe to call from any replica at any time. */
  async tick(): Promise<QueuedRun[]> {
    const runs = await this.repo.dispatchDue(DISPATCH_BATCH, (tx, queued) => this.enqueue(tx, queued));
    if (runs.length > 0) this.logger.log({ runs: runs.length }, 'connector runs dispatched');
    const stale = await this.repo.staleQueuedRuns(REQUEUE_AFTER_MS);
    if (stale.length > 0)
      await (
        await this.queue.instance()
      ).insert(
        RUN_QUEUE,
        stale.map((r) => ({ data: r satisfies RunJob })),
      );
    return runs;
  }

  /** Asks for a dispatch pass now (a connector was created or resumed). */
  async kick(): Promise<void> {
    await this.prepare();
    await this.queue.send(TICK_QUEUE, {});
  }

  async enqueue(tx: EntityManager, runs: QueuedRun[]): Promise<void> {
    const boss = await this.queue.instance();
    await boss.insert(
      RUN_QUEUE,
      runs.map((r) => ({ data: r satisfies RunJob })),
      { db: onTransaction(tx) },
    );
  }
}
