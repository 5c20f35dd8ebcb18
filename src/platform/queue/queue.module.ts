import { Global, Module } from '@nestjs/common';
import { QueueService } from '#src/platform/queue/queue.service.js';

@Global()
@Module({ providers: [QueueService], exports: [QueueService] })
export class QueueModule {}
