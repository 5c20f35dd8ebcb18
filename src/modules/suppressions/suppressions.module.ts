import { Module } from '@nestjs/common';
import { SuppressionsController } from '#src/modules/suppressions/suppressions.controller.js';
import { SuppressionsResolver } from '#src/modules/suppressions/suppressions.resolver.js';
import { SuppressionsService } from '#src/modules/suppressions/suppressions.service.js';

@Module({
  controllers: [SuppressionsController],
  providers: [SuppressionsService, SuppressionsResolver],
  exports: [SuppressionsService],
})
export class SuppressionsModule {}
