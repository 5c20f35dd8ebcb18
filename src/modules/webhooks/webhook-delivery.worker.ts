import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import type { Job } from '#src/platform/queue/queue.service.js';
import { Pump } from '#src/modules/webhooks/pump.js';
import { DISABLE_AFTER_FAILING_MS, nextRetryDelayMs } from '#src/modules/webhooks/retry-schedule.js';
import { WebhookJobs, type DeliveryJob } from '#src/modules/webhooks/webhook-jobs.js';
import { WebhookSecrets } from '#src/modules/webhooks/webhook-secrets.js';
import { WebhookSender, type SendResult } from '#src/modules/webhooks/webhook-sender.js';
import { messageId, signatureHeaders } from '#src/modules/webhooks/webhook-signer.js';
import { type ClaimedDelivery, WebhooksRepository } from '#src/modules/webhooks/webhooks.repository.js';

const SWEEP_MS = 5000;
const SWEEP_BATCH = 500;
// A pending delivery this far past due with no lease has lost its wake-up job.
const OVERDUE_MS = 10 * 60_000;
const RETENTION_MS = 30 * 86_400_000;
const PURGE_EVERY_MS = 3_600_000;

/**
 * Runs a transaction again when PostgreSQL aborts it for a deadlock or a serialization failure:
 * a delivery holds its own row and, rarely, needs its endpoint's (first failure, disabling), while
 * disabling an endpoint takes the endpoint's row and then its pending deliveries'.
 */
async function retryOnConflict<T>(work: () => Promise<T>, tries = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code;
      if (attempt >= tries || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}

/**
 * Sends deliveries: claims the row (a lease), signs, POSTs, then records the attempt and decides
 * what comes next (done, retry at a later time, given up, endpoint disabled) in one transaction
 * with the next wake-up job. Also sweeps up deliveries whose worker died mid-attempt.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private readonly sweeper = new Pump(
    () => this.sweep().then(() => undefined),
    (error) => this.logger.error({ err: error }, 'webhook delivery sweep failed'),
  );
  private timer: NodeJS.Timeout | null = null;
  private lastPurge = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: WebhooksRepository,
    private readonly jobs: WebhookJobs,
    private readonly secrets: WebhookSecrets,
    private readonly sender: WebhookSender,
    private readonly metrics: MetricsService,
  ) {}

  /** Long enough for a whole attempt (connect, send, the receiver's answer, recording it). */
  private get leaseMs(): number {
    return 2 * this.config.webhooks.timeoutMs + 5000;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    await this.jobs.work((jobs) => this.handle(jobs));
    this.timer = setInterval(() => this.sweeper.kick(), SWEEP_MS);
    this.timer.unref();
    this.sweeper.kick();
  }

  /**
   * Before the database pool closes (that happens at application shutdown, after this): no new
   * wake-ups, and the attempts in hand are recorded rather than cut off mid-transaction.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeper.stop().catch(() => undefined);
    await this.jobs.stop().catch((error: unknown) => this.logger.warn({ err: error }, 'stopping the delivery worker'));
  }

  /** A batch of wake-ups, sent concurrently: one slow receiver must not hold up the others. */
  async handle(jobs: Job<DeliveryJob>[]): Promise<void> {
    const ids = [...new Set(jobs.map((j) => j.data.deliveryId))];
    await Promise.all(
      ids.map((id) =>
        this.deliver(id).catch((error: unknown) => {
          // The lease runs out and the sweeper sends it again; nothing is lost.
          this.logger.error({ err: error, deliveryId: id }, 'webhook delivery could not be recorded');
        }),
      ),
    );
  }

  /** One attempt of one delivery, if it is still due and nobody else is on it. */
  async deliver(deliveryId: string): Promise<void> {
    const claim = await this.repo.claim(deliveryId, this.leaseMs);
    if (!claim) return;
    const result = await this.attempt(claim);
    await this.record(claim, result);
    this.metrics.webhookDeliveries.inc({ outcome: result.outcome });
  }

  private async attempt(claim: ClaimedDelivery): Promise<SendResult> {
    let secrets: string[];
    try {
      secrets = [await this.secrets.open(claim.secretSealed, claim.endpointId)];
      if (claim.previousSecretSealed && claim.previousSecretExpiresAt && claim.previousSecretExpiresAt.getTime() > Date.now()) {
        secrets.push(await this.secrets.open(claim.previousSecretSealed, claim.endpointId));
      }
    } catch (error) {
      // A key mismatch between replicas: say so in the log and the delivery log, never the secret.
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error({ endpointId: claim.endpointId }, `cannot read the webhook secret: ${message}`);
      return {
        outcome: 'internal',
        statusCode: null,
        latencyMs: 0,
        error: `cannot read the signing secret: ${message}`,
        retryAfterMs: null,
      };
    }
    const headers = signatureHeaders(secrets, messageId(claim.id), new Date(), claim.payload);
    return this.sender.post(claim.url, claim.payload, { ...headers });
  }

  private async record(claim: ClaimedDelivery, result: SendResult): Promise<void> {
    const next = await retryOnConflict(() => this.decide(claim, result));
    const facts = { deliveryId: claim.id, endpointId: claim.endpointId, attempt: claim.attempts, outcome: result.outcome, next };
    if (next === 'lease lost')
      this.logger.warn(facts, 'webhook attempt finished after its lease ran out; another worker took the delivery over');
    else if (next !== 'succeeded') this.logger.log(facts, 'webhook attempt failed');
    if (next.startsWith('disabled: ')) {
      this.logger.warn({ endpointId: claim.endpointId, event: 'webhook.disabled', reason: next.slice(10) }, 'webhook endpoint disabled');
    }
  }

  private decide(claim: ClaimedDelivery, result: SendResult): Promise<string> {
    return this.repo.transaction(async (tx) => {
      if (!(await this.repo.recordAttempt(tx, claim, result))) return 'lease lost';
      if (result.outcome === 'succeeded') {
        await this.repo.settle(tx, claim.id, 'succeeded', result);
        await this.repo.endpointSucceeded(tx, claim.endpointId);
        return 'succeeded';
      }
      // Our own trouble (a secret this process cannot read) is not the receiver's failure.
      const failingMs = result.outcome === 'internal' ? 0 : await this.repo.endpointFailed(tx, claim.endpointId);
      const disable =
        result.outcome === 'gone'
          ? 'the receiver answered 410 Gone'
          : failingMs >= DISABLE_AFTER_FAILING_MS
            ? `every delivery failed for ${Math.round(failingMs / 3_600_000)} hours`
            : null;
      if (disable) {
        await this.repo.settle(tx, claim.id, 'failed', result);
        // False when another delivery to it disabled it first: that one says so.
        return (await this.repo.disableEndpoint(tx, claim.endpointId, disable)) ? `disabled: ${disable}` : 'failed';
      }
      const delayMs = nextRetryDelayMs({
        attempts: claim.attempts,
        scale: this.config.webhooks.retryScale,
        retryAfterMs: result.retryAfterMs,
      });
      if (delayMs === null) {
        await this.repo.settle(tx, claim.id, 'failed', result);
        return 'gave up';
      }
      await this.repo.scheduleRetry(tx, claim.id, result, delayMs);
      await this.jobs.enqueue(tx, [{ id: claim.id, delayMs }]);
      return 'retry';
    });
  }

  /** Re-queues deliveries cut short by a crash or left without a job; purges old finished ones. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.repo.transaction(async (tx) => {
        const interrupted = await this.repo.reclaimExpired(tx, SWEEP_BATCH);
        if (interrupted.length > 0) this.metrics.webhookDeliveries.inc({ outcome: 'interrupted' }, interrupted.length);
        const found = [...interrupted, ...(await this.repo.reclaimOverdue(tx, OVERDUE_MS, SWEEP_BATCH))];
        await this.jobs.enqueue(
          tx,
          found.map((id) => ({ id })),
        );
        return found;
      });
      total += ids.length;
      if (ids.length < SWEEP_BATCH) break;
    }
    if (total > 0) this.logger.warn({ deliveries: total }, 'webhook deliveries re-queued after an interrupted attempt or a lost job');
    if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      const purged = await this.repo.purge(RETENTION_MS);
      if (purged > 0) this.logger.log({ deliveries: purged }, 'finished webhook deliveries older than 30 days purged');
    }
    return total;
  }
}
