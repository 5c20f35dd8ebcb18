import { Module } from '@nestjs/common';
import { CostModule } from '#src/modules/cost/cost.module.js';
import { IngestionController } from '#src/modules/ingestion/ingestion.controller.js';
import { fetchPushHttp, PUSH_HTTP, PushChannelsService } from '#src/modules/ingestion/push/push-channels.service.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';
import { SignalsModule } from '#src/modules/signals/signals.module.js';

@Module({
  imports: [SignalsModule, CostModule],
  controllers: [IngestionController],
  providers: [IngestionService, PushChannelsService, { provide: PUSH_HTTP, useValue: fetchPushHttp }],
  exports: [IngestionService],
})
export class IngestionModule {}
