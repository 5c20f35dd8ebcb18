import { Inject, Injectable } from '@nestjs/common';
import type { Db } from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { type Job, QueueService } from '#src/platform/queue/queue.service.js';

export const DELIVERY_QUEUE = 'webhook-delivery';

export interface DeliveryJob {
  deliveryId: string;
}

/**
 * pg-boss statements on the caller's open transaction, so a wake-up job commits or rolls back with
 * the delivery row it is about: no job for a row that never committed, no row without its job.
 */
function onTransaction(tx: EntityManager): Db {
  const runner = tx.queryRunner;
  if (!runner) throw new Error('a delivery job must be queued inside a transaction');
  return { executeSql: async (text, values) => ({ rows: (await runner.query(text, values as unknown[], true)).records }) };
}

/**
 * Wake-up jobs for deliveries. The delivery row is the truth (status, attempts, when next); a job
 * only says "look at this delivery now" (or at `startAfter`), so a duplicate job is harmless.
 */
@Injectable()
export class WebhookJobs {
  private working = false;

  constructor(
    private readonly queue: QueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates the queue; call outside any transaction (pg-boss may install itself on first use). */
  async prepare(): Promise<void> {
    await this.queue.ensureQueue(DELIVERY_QUEUE, {
      // A worker killed mid-batch leaves its jobs active; the delivery sweeper re-queues the
      // deliveries themselves, so pg-boss's own expiry is only a backstop.
      expireInSeconds: Math.ceil((2 * this.config.webhooks.timeoutMs) / 1000) + 60,
      retryLimit: 3,
      retryDelay: 5,
      deleteAfterSeconds: 86_400,
    });
  }

  async enqueue(tx: EntityManager, deliveries: Array<{ id: string; delayMs?: number }>): Promise<void> {
    if (deliveries.length === 0) return;
    await this.prepare();
    const boss = await this.queue.instance();
    await boss.insert(
      DELIVERY_QUEUE,
      deliveries.map((d) => ({
        data: { deliveryId: d.id } satisfies DeliveryJob,
        ...(d.delayMs ? { startAfter: new Date(Date.now() + d.delayMs) } : {}),
      })),
      { db: onTransaction(tx) },
    );
  }

  /**
   * Runs `handler` on batches of wake-ups; only in the worker and all roles. Deliveries wait on
   * the network, not the CPU: four local workers of 50, fetching again at once while batches come
   * back full, instead of sleeping the polling interval after each.
   */
  async work(handler: (jobs: Job<DeliveryJob>[]) => Promise<void>): Promise<void> {
    await this.prepare();
    this.working =
      (await this.queue.work<DeliveryJob>(DELIVERY_QUEUE, { batchSize: 50, localConcurrency: 4, burstWhenBatchFull: true }, handler)) !==
      null;
  }

  /** Stops fetching wake-ups and waits for the batches in hand to finish. */
  async stop(): Promise<void> {
    if (!this.working) return;
    this.working = false;
    await (await this.queue.instance()).offWork(DELIVERY_QUEUE, { wait: true });
  }
}
