import { Module } from '@nestjs/common';
import { CostRetentionService } from '#src/modules/cost/cost-retention.service.js';
import { CostSeriesRepository } from '#src/modules/cost/cost-series.repository.js';
import { CostService } from '#src/modules/cost/cost.service.js';

/**
 * Daily cost series and MineWatch's own cost anomaly detector. The ingestion module writes cost
 * rows and runs the detector through CostService inside each ingest transaction.
 */
@Module({
  providers: [CostService, CostSeriesRepository, CostRetentionService],
  exports: [CostService],
})
export class CostModule {}
