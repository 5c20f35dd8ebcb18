import { Module } from '@nestjs/common';
import { IngestionController } from '#src/modules/ingestion/ingestion.controller.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';
import { SignalsModule } from '#src/modules/signals/signals.module.js';

@Module({
  imports: [SignalsModule],
  controllers: [IngestionController],
  providers: [IngestionService],
  exports: [IngestionService],
})
export class IngestionModule {}
