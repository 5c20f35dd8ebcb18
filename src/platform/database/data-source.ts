import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { migrations } from '#migrations/index.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for entity classes
export type EntityList = MixedList<Function | string | EntitySchema>;

/** The entity list comes from the composition root (src/entities.ts): platform never imports modules. */
export function dataSourceOptions(url: string, entities: EntityList = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    logging: false,
    extra: { max: 20, application_name: 'minewatch' },
  };
}

export function createDataSource(url: string, entities: EntityList = []): DataSource {
  return new DataSource(dataSourceOptions(url, entities));
}
