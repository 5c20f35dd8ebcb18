import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Provider } from '#src/connectors/signal.js';
import type {
  ConnectorEntity,
  ConnectorRunEntity,
  ConnectorSettings,
  CredentialSource,
} from '#src/modules/connectors-admin/connector.entity.js';
import { ConnectorErrorCode, ConnectorException } from '#src/modules/connectors-admin/connector.exception.js';
import type { ConnectorModel, ConnectorRunModel } from '#src/modules/connectors-admin/connector.model.js';
import {
  checkShape,
  createConnectorSchema,
  parseBody,
  runsQuery,
  updateConnectorSchema,
  type CreateConnectorBody,
} from '#src/modules/connectors-admin/connector.schema.js';
import { ConnectorScheduler } from '#src/modules/connectors-admin/connector-scheduler.js';
import { ConnectorSecretStore } from '#src/modules/connectors-admin/connector-secrets.js';
import { ConnectorsRepository } from '#src/modules/connectors-admin/connectors.repository.js';
import type { ConnectorSecrets } from '#src/modules/connectors-admin/fetchers/fetcher.js';
import { STREAMS } from '#src/modules/connectors-admin/fetchers/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Streams a connector collects when `collect` is not given: all, less those that need settings it lacks. */
function defaultStreams(provider: Provider, settings: ConnectorSettings): string[] {
  return STREAMS[provider].filter((s) => {
    if (provider === 'gcp' && s === 'billing') return Boolean(settings.billingTable);
    if (provider === 'gcp' && s === 'billing-anomalies') return Boolean(settings.billingAccount);
    return true;
  });
}

export function toConnectorModel(e: ConnectorEntity): ConnectorModel {
  const s = e.settings;
  return {
    id: e.id,
    name: e.name,
    provider: e.provider,
    scopes: e.scopes,
    collect: e.streams,
    intervalMinutes: e.intervalMinutes,
    backfillDays: e.backfillDays,
    regions: s.regions ?? null,
    endpoint: s.endpoint ?? null,
    caCertificateSet: Boolean(s.caCertificate),
    billingTable: s.billingTable ?? null,
    billingAccount: s.billingAccount ?? null,
    credentials: { source: e.credentialSource, secretsStored: e.secretsSealed !== null, accessKeyIdHint: s.accessKeyIdHint ?? null },
    assumeRole: s.roleArn ? { roleArn: s.roleArn, externalIdSet: Boolean(s.externalIdSet) } : null,
    status: e.status,
    nextRunAt: e.status === 'active' ? e.nextRunAt : null,
    lastRunAt: e.lastRunAt,
    lastSuccessAt: e.lastSuccessAt,
    lastRunStatus: e.lastRunStatus,
    itemsFetched: e.itemsFetched,
    lastError: e.lastError,
    lastErrorAt: e.lastErrorAt,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

export function toRunModel(r: ConnectorRunEntity): ConnectorRunModel {
  return {
    id: r.id,
    trigger: r.trigger,
    slot: r.slot,
    status: r.status,
    queuedAt: r.queuedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    itemsFetched: r.itemsFetched,
    pages: r.pages,
    throttled: r.throttled,
    streams: Object.entries(r.streams ?? {}).map(([stream, o]) => ({ stream, items: o.items, pages: o.pages, error: o.error ?? null })),
    error: r.error,
  };
}

/** Managing pull connectors: validation, sealed secrets, pause/resume, runs on demand. */
@Injectable()
export class ConnectorsService {
  private readonly logger = new Logger(ConnectorsService.name);

  constructor(
    private readonly repo: ConnectorsRepository,
    private readonly secrets: ConnectorSecretStore,
    private readonly scheduler: ConnectorScheduler,
  ) {}

  private async load(id: string): Promise<ConnectorEntity> {
    const found = UUID.test(id) ? await this.repo.find(id) : null;
    if (!found) throw new ConnectorException(ConnectorErrorCode.NotFound, `No connector ${id}.`);
    return found;
  }

  async list(): Promise<ConnectorModel[]> {
    return (await this.repo.list()).map(toConnectorModel);
  }

  async get(id: string): Promise<ConnectorModel> {
    return toConnectorModel(await this.load(id));
  }

  async create(body: unknown): Promise<ConnectorModel> {
    const input = parseBody(createConnectorSchema, body);
    const id = randomUUID();
    const settings = this.settingsOf(input, {});
    const streams = input.collect ? [...new Set(input.collect)] : defaultStreams(input.provider, settings);
    const credentialSource: CredentialSource = input.credentials?.source ?? 'default';
    checkShape({
      provider: input.provider,
      scopes: input.scopes,
      streams,
      regions: input.regions,
      credentialSource,
      credentials: input.credentials,
      roleArn: input.assumeRole?.roleArn,
      billingTable: settings.billingTable,
      billingAccount: settings.billingAccount,
    });
    const secrets = this.secretsOf(input, {});
    const secretsSealed = await this.secrets.seal(secrets, id);
    const created = await this.repo.insert({
      id,
      name: input.name,
      provider: input.provider,
      scopes: [...new Set(input.scopes)],
      streams,
      settings: this.withHints(settings, secrets),
      credentialSource,
      secretsSealed,
      intervalMinutes: input.intervalMinutes,
      backfillDays: input.backfillDays,
      status: 'active',
      // Due at once: the first run backfills without waiting for the interval.
      nextRunAt: new Date(),
    });
    this.logger.log({ connectorId: id, provider: input.provider, streams }, 'connector created');
    await this.scheduler.kick();
    return toConnectorModel(created);
  }

  async update(id: string, body: unknown): Promise<ConnectorModel> {
    const current = await this.load(id);
    const input = parseBody(updateConnectorSchema, body);
    const settings = this.settingsOf(input, current.settings);
    const streams = input.collect ? [...new Set(input.collect)] : current.streams;
    const credentialSource: CredentialSource = input.credentials?.source ?? current.credentialSource;
    checkShape({
      provider: current.provider,
      scopes: input.scopes ?? current.scopes,
      streams,
      regions: input.regions ?? settings.regions,
      credentialSource,
      credentials: input.credentials,
      roleArn: settings.roleArn,
      billingTable: settings.billingTable,
      billingAccount: settings.billingAccount,
    });
    let secretsSealed = current.secretsSealed;
    let secrets: ConnectorSecrets | null = null;
    if (input.credentials !== undefined || input.assumeRole !== undefined) {
      secrets = this.secretsOf(input, await this.secrets.open(current.secretsSealed, id));
      secretsSealed = await this.secrets.seal(secrets, id);
    }
    const updated = await this.repo.update(id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.scopes !== undefined ? { scopes: [...new Set(input.scopes)] } : {}),
      ...(input.intervalMinutes !== undefined ? { intervalMinutes: input.intervalMinutes } : {}),
      ...(input.backfillDays !== undefined ? { backfillDays: input.backfillDays } : {}),
      streams,
      credentialSource,
      secretsSealed,
      settings: secrets ? this.withHints(settings, secrets) : settings,
    });
    return toConnectorModel(updated!);
  }

  async remove(id: string): Promise<void> {
    await this.load(id);
    await this.repo.remove(id);
    this.logger.log({ connectorId: id }, 'connector deleted');
  }

  async pause(id: string): Promise<ConnectorModel> {
    await this.load(id);
    return toConnectorModel((await this.repo.update(id, { status: 'paused' }))!);
  }

  async resume(id: string): Promise<ConnectorModel> {
    const current = await this.load(id);
    if (current.status === 'active') return toConnectorModel(current);
    // A tick missed while paused is due now, once; the schedule goes on from there.
    const due = current.nextRunAt && current.nextRunAt.getTime() > Date.now() ? current.nextRunAt : new Date();
    const resumed = await this.repo.update(id, { status: 'active', nextRunAt: due });
    await this.scheduler.kick();
    return toConnectorModel(resumed!);
  }

  async runNow(id: string): Promise<ConnectorRunModel> {
    const current = await this.load(id);
    if (current.status === 'paused') throw new ConnectorException(ConnectorErrorCode.Paused, `Connector ${id} is paused; resume it first.`);
    await this.scheduler.prepare();
    const run = await this.repo.createManualRun(id, (tx, runs) => this.scheduler.enqueue(tx, runs));
    return toRunModel(run);
  }

  async runs(id: string, query: unknown): Promise<ConnectorRunModel[]> {
    await this.load(id);
    const parsed = runsQuery.safeParse(query ?? {});
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? '/'), message: i.message }));
      throw new ConnectorException(
        ConnectorErrorCode.InvalidQuery,
        `Invalid query parameter: ${errors.map((e) => e.field).join(', ')}.`,
        errors,
      );
    }
    return (await this.repo.runs(id, parsed.data.limit)).map(toRunModel);
  }

  async run(connectorId: string, runId: string): Promise<ConnectorRunModel> {
    const run = UUID.test(runId) ? await this.repo.findRun(runId) : null;
    if (!run || run.connectorId !== connectorId)
      throw new ConnectorException(ConnectorErrorCode.NotFound, `No run ${runId} of connector ${connectorId}.`);
    return toRunModel(run);
  }

  private settingsOf(input: Partial<CreateConnectorBody>, current: ConnectorSettings): ConnectorSettings {
    const next: ConnectorSettings = { ...current };
    if (input.regions !== undefined) next.regions = [...new Set(input.regions)];
    if (input.endpoint !== undefined) next.endpoint = input.endpoint;
    if (input.caCertificate !== undefined) next.caCertificate = input.caCertificate;
    if (input.billingTable !== undefined) next.billingTable = input.billingTable;
    if (input.billingAccount !== undefined) next.billingAccount = input.billingAccount;
    if (input.assumeRole !== undefined) next.roleArn = input.assumeRole?.roleArn ?? null;
    return next;
  }

  private secretsOf(input: Partial<CreateConnectorBody>, current: ConnectorSecrets): ConnectorSecrets {
    const next: ConnectorSecrets = { ...current };
    if (input.credentials !== undefined) {
      delete next.accessKeyId;
      delete next.secretAccessKey;
      delete next.sessionToken;
      delete next.token;
      const { source: _source, ...values } = input.credentials;
      Object.assign(next, values);
    }
    if (input.assumeRole !== undefined) {
      delete next.externalId;
      if (input.assumeRole?.externalId) next.externalId = input.assumeRole.externalId;
    }
    return next;
  }

  /** What the API may say about the secrets: whether an external id is set, the last four of a key id. */
  private withHints(settings: ConnectorSettings, secrets: ConnectorSecrets): ConnectorSettings {
    return {
      ...settings,
      accessKeyIdHint: secrets.accessKeyId ? `…${secrets.accessKeyId.slice(-4)}` : null,
      externalIdSet: Boolean(secrets.externalId),
    };
  }
}
