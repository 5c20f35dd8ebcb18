import { Module } from '@nestjs/common';
import { SignalsController } from '#src/modules/signals/signals.controller.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

@Module({
  controllers: [SignalsController],
  providers: [SignalsRepository],
  exports: [SignalsRepository],
})
export class SignalsModule {}
