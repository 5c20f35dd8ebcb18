import { Module } from '@nestjs/common';
import { IngestionController } from '#src/modules/ingestion/ingestion.controller.js';
import { fetchPushHttp, PUSH_HTTP, PushChannelsService } from '#src/modules/ingestion/push/push-channels.service.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';
import { SignalsModule } from '#src/modules/signals/signals.module.js';

@Module({
  imports: [SignalsModule],
  controllers: [IngestionController],
  providers: [IngestionService, PushChannelsService, { provide: PUSH_HTTP, useValue: fetchPushHttp }],
  exports: [IngestionService],
})
export class IngestionModule {}
