import { type DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { AuthModule } from '#src/platform/auth/auth.module.js';
import { ApiKeysService } from '#src/platform/auth/api-keys.service.js';
import { dataSourceOptions } from '#src/platform/database/data-source.js';
import { entities } from '#src/entities.js';
import { graphqlErrorFormatter } from '#src/platform/graphql/graphql-errors.js';
import { assertComplexityLimit, assertTokenLimit, MAX_DEPTH, queryLimitRules } from '#src/platform/graphql/query-limits.js';
import { MetricsModule } from '#src/platform/metrics/metrics.module.js';
import { QueueModule } from '#src/platform/queue/queue.module.js';
import { ApiKeysModule } from '#src/modules/api-keys/api-keys.module.js';
import { ConnectorsAdminModule } from '#src/modules/connectors-admin/connectors-admin.module.js';
import { CorrelationModule } from '#src/modules/correlation/correlation.module.js';
import { HealthModule } from '#src/modules/health/health.module.js';
import { IncidentLoaders } from '#src/modules/incidents/incident.loaders.js';
import { IncidentsModule } from '#src/modules/incidents/incidents.module.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { IngestionModule } from '#src/modules/ingestion/ingestion.module.js';
import { SignalsModule } from '#src/modules/signals/signals.module.js';
import { SuppressionsModule } from '#src/modules/suppressions/suppressions.module.js';
import { WebhooksModule } from '#src/modules/webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  /** `databaseUrl` is resolved before boot: a real server, or the embedded one started in main.ts. */
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    const serveApi = config.role !== 'worker';
    const api = serveApi
      ? [
          ApiKeysModule,
          IngestionModule,
          IncidentsModule,
          SignalsModule,
          SuppressionsModule,
          GraphQLModule.forRootAsync<MercuriusDriverConfig>({
            driver: MercuriusDriver,
            imports: [IncidentsModule],
            inject: [ApiKeysService, IncidentsService],
            useFactory: (keys: ApiKeysService, incidents: IncidentsService) => ({
              autoSchemaFile: true,
              sortSchema: true,
              path: '/graphql',
              // Our own offline bundle is served at /graphiql (the built-in one loads from a CDN).
              graphiql: false,
              jit: 1,
              queryDepth: MAX_DEPTH,
              validationRules: queryLimitRules(),
              hooks: {
                preParsing: async (_schema: unknown, source: string) => assertTokenLimit(source),
                preExecution: async (
                  schema: GraphQLSchema,
                  document: DocumentNode,
                  _context: unknown,
                  variables?: Record<string, unknown>,
                ) => assertComplexityLimit(schema, document, variables),
              },
              errorFormatter: graphqlErrorFormatter as never,
              context: (request: unknown, reply: unknown) => ({ req: request, reply, loaders: new IncidentLoaders(incidents) }),
              subscription: {
                // graphql-ws carries no HTTP headers: the key comes in the connection payload.
                onConnect: async ({ payload }: { payload?: Record<string, unknown> }) => {
                  const header = payload?.['Authorization'] ?? payload?.['authorization'];
                  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
                  const apiKey = match?.[1] ? await keys.authenticate(match[1]) : null;
                  return apiKey ? { apiKey, loaders: new IncidentLoaders(incidents, { cache: false }) } : false;
                },
              },
            }),
          }),
        ]
      : [];
    return {
      module: AppModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // Fastify assigns the id (x-request-id or a UUID); pino-http logs it with every line.
            genReqId: (req) => (req as unknown as { id: string }).id,
            // Keys and cookies must never reach a log line.
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
            autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
            },
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, entities)),
        AuthModule,
        MetricsModule,
        QueueModule,
        HealthModule,
        CorrelationModule,
        // Every role: its REST routes only where the API is served, its dispatcher and delivery
        // worker only where workers run.
        WebhooksModule.forRole(config.role),
        // Pull connectors: management API where the API is served, scheduler and runs where workers run.
        ConnectorsAdminModule.forRole(config.role),
        ...api,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
