import { Injectable } from '@nestjs/common';
import type { CostRow, Signal } from '#src/connectors/signal.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';

/**
 * Where a run's results go: signals and daily cost rows through IngestionService.store, in one
 * transaction, exactly as pushed ones: deduplicated, the cost rows into the same cost series and
 * anomaly detector as pushed cost exports, correlation notified.
 */
@Injectable()
export class ConnectorIngest {
  constructor(private readonly ingestion: IngestionService) {}

  async store(signals: Signal[], costRows: CostRow[]): Promise<void> {
    if (signals.length === 0 && costRows.length === 0) return;
    await this.ingestion.store(signals, costRows);
  }
}
