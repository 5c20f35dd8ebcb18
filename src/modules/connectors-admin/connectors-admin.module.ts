import { type DynamicModule, Module } from '@nestjs/common';
import type { Role } from '#src/config/config.js';
import { ConnectorRunner } from '#src/modules/connectors-admin/connector-runner.js';
import { ConnectorScheduler } from '#src/modules/connectors-admin/connector-scheduler.js';
import { ConnectorSecretStore } from '#src/modules/connectors-admin/connector-secrets.js';
import { ConnectorsController } from '#src/modules/connectors-admin/connectors.controller.js';
import { ConnectorsRepository } from '#src/modules/connectors-admin/connectors.repository.js';
import { ConnectorsResolver } from '#src/modules/connectors-admin/connectors.resolver.js';
import { ConnectorsService } from '#src/modules/connectors-admin/connectors.service.js';
import { IngestionModule } from '#src/modules/ingestion/ingestion.module.js';

/**
 * Pull connectors: their management API (REST and GraphQL, api roles) and their scheduler and
 * runner (worker roles: the scheduler registers its pg-boss workers only where workers run).
 */
@Module({})
export class ConnectorsAdminModule {
  static forRole(role: Role): DynamicModule {
    const api = role !== 'worker';
    return {
      module: ConnectorsAdminModule,
      imports: [IngestionModule],
      controllers: api ? [ConnectorsController] : [],
      providers: [
        ConnectorsRepository,
        ConnectorSecretStore,
        ConnectorRunner,
        ConnectorScheduler,
        ConnectorsService,
        ...(api ? [ConnectorsResolver] : []),
      ],
    };
  }
}
