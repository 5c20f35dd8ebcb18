import { Module } from '@nestjs/common';
import { SignalsController } from '#src/modules/signals/signals.controller.js';
import { SignalRetentionService } from '#src/modules/signals/signal-retention.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

@Module({
  controllers: [SignalsController],
  providers: [SignalsRepository, SignalRetentionService],
  exports: [SignalsRepository],
})
export class SignalsModule {}
