import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { QueueService } from '#src/platform/queue/queue.service.js';

export const COST_RETENTION_QUEUE = 'cost-retention';
const BATCH = 10_000;

/**
 * Keeps the daily cost series to MINEWATCH_COST_RETENTION_DAYS: older days are deleted in batches
 * once an hour (a pg-boss schedule, fired once across replicas), and every series' `first_day`
 * moves up to the cutoff, so the detector reads the deleted days as unknown, never as zero spend.
 */
@Injectable()
export class CostRetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(CostRetentionService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly queue: QueueService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.costRetentionDays === 0) return;
    await this.queue.every(COST_RETENTION_QUEUE, '23 * * * *', () => this.purge());
  }

  /** Deletes the days before the cutoff; returns how many daily rows went. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.costRetentionDays * 86_400_000).toISOString().slice(0, 10);
    let total = 0;
    for (;;) {
      const rows = (await this.ds.query(
        `DELETE FROM cost_daily WHERE ctid IN (SELECT ctid FROM cost_daily WHERE day < $1 LIMIT ${BATCH}) RETURNING 1`,
        [cutoff],
      )) as [unknown[], number] | unknown[];
      const deleted = Array.isArray(rows[0]) ? (rows as [unknown[], number])[1] : rows.length;
      total += deleted;
      if (deleted < BATCH) break;
    }
    await this.ds.query(`UPDATE cost_series SET first_day = $1, updated_at = now() WHERE first_day < $1`, [cutoff]);
    if (total > 0) this.logger.log({ deleted: total, before: cutoff }, 'expired daily cost deleted');
    return total;
  }
}
