import { Module } from '@nestjs/common';
import { ApiKeysController } from '#src/modules/api-keys/api-keys.controller.js';

/** Key management over the API; the keys themselves live in platform/auth. */
@Module({ controllers: [ApiKeysController] })
export class ApiKeysModule {}
