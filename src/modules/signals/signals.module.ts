import { Module } from '@nestjs/common';
import { SignalsController } from '#src/modules/signals/signals.controller.js';
import { SignalRetentionService } from '#src/modules/signals/signal-retention.service.js';
import { SignalsResolver } from '#src/modules/signals/signals.resolver.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

@Module({
  controllers: [SignalsController],
  providers: [SignalsRepository, SignalRetentionService, SignalsResolver],
  exports: [SignalsRepository],
})
export class SignalsModule {}
