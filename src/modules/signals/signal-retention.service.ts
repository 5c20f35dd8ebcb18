import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { QueueService } from '#src/platform/queue/queue.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

export const RETENTION_QUEUE = 'signals-retention';
const BATCH = 10_000;

/**
 * Keeps the signals table to what matters: signals older than MINEWATCH_SIGNAL_RETENTION_DAYS that
 * are evidence of no incident are deleted in batches, once an hour. The schedule lives in pg-boss,
 * which fires each slot once across every replica.
 */
@Injectable()
export class SignalRetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SignalRetentionService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queue: QueueService,
    private readonly signals: SignalsRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.signalRetentionDays === 0) return;
    await this.queue.every(RETENTION_QUEUE, '17 * * * *', () => this.purge());
  }

  /** Deletes every expired signal; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.signalRetentionDays * 86_400_000);
    let total = 0;
    for (;;) {
      const deleted = await this.signals.deleteExpired(before, BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) this.logger.log({ deleted: total, before: before.toISOString() }, 'expired signals deleted');
    return total;
  }
}
