import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from '#src/platform/auth/api-key.guard.js';
import { ApiKeysService } from '#src/platform/auth/api-keys.service.js';

@Global()
@Module({
  providers: [ApiKeysService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeysService],
})
export class AuthModule {}
