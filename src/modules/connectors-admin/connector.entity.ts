import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Provider } from '#src/connectors/signal.js';

export type ConnectorStatus = 'active' | 'paused';
export type CredentialSource = 'default' | 'static' | 'token';
export type RunTrigger = 'schedule' | 'manual';
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'partial', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Non-secret settings of a connector; secrets live sealed in `secretsSealed`. */
export interface ConnectorSettings {
  /** AWS regions (GuardDuty, CloudTrail, CloudWatch, EC2 are regional). */
  regions?: string[];
  /** Base URL every API of the provider is sent to instead of the cloud's own (tests, proxies, LocalStack). */
  endpoint?: string | null;
  /** PEM certificate to trust for `endpoint` (a private CA or a self-signed fake). */
  caCertificate?: string | null;
  /** AWS: the role to assume in each account; `{accountId}` is replaced by the account. */
  roleArn?: string | null;
  /** GCP: the BigQuery billing export table, `project.dataset.table`. */
  billingTable?: string | null;
  /** GCP: the Cloud Billing account whose anomalies are read. */
  billingAccount?: string | null;
  /** What the API may say about the sealed secrets: the last four characters of a static key id … */
  accessKeyIdHint?: string | null;
  /** … and whether an external id is stored. */
  externalIdSet?: boolean;
}

/** A configured pull source: which cloud, what it covers and collects, how often, with which credentials. */
@Entity('connectors')
export class ConnectorEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') provider!: Provider;
  @Column('text', { array: true }) scopes!: string[];
  @Column('text', { array: true }) streams!: string[];
  @Column('jsonb') settings!: ConnectorSettings;
  @Column('text', { name: 'credential_source' }) credentialSource!: CredentialSource;
  /** Sealed by SecretBox; the secrets themselves are never stored. */
  @Column('text', { name: 'secrets_sealed', nullable: true }) secretsSealed!: string | null;
  @Column('integer', { name: 'interval_minutes' }) intervalMinutes!: number;
  @Column('integer', { name: 'backfill_days' }) backfillDays!: number;
  @Column('text') status!: ConnectorStatus;
  @Column('timestamptz', { name: 'next_run_at', nullable: true }) nextRunAt!: Date | null;
  @Column('uuid', { name: 'lease_run_id', nullable: true }) leaseRunId!: string | null;
  @Column('timestamptz', { name: 'lease_until', nullable: true }) leaseUntil!: Date | null;
  @Column('timestamptz', { name: 'last_run_at', nullable: true }) lastRunAt!: Date | null;
  @Column('timestamptz', { name: 'last_success_at', nullable: true }) lastSuccessAt!: Date | null;
  @Column('text', { name: 'last_run_status', nullable: true }) lastRunStatus!: RunStatus | null;
  @Column('integer', { name: 'items_fetched' }) itemsFetched!: number;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('timestamptz', { name: 'last_error_at', nullable: true }) lastErrorAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** What one stream of a run did. */
export interface StreamOutcome {
  items: number;
  pages: number;
  error?: string;
}

/** One run of a connector: scheduled (one per tick) or asked for. */
@Entity('connector_runs')
export class ConnectorRunEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'connector_id' }) connectorId!: string;
  @Column('text') trigger!: RunTrigger;
  @Column('timestamptz') slot!: Date;
  @Column('text') status!: RunStatus;
  @Column('timestamptz', { name: 'queued_at' }) queuedAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @Column('integer', { name: 'items_fetched' }) itemsFetched!: number;
  @Column('integer') pages!: number;
  @Column('integer') throttled!: number;
  @Column('jsonb') streams!: Record<string, StreamOutcome>;
  @Column('text', { nullable: true }) error!: string | null;
}

/** Where a stream of a connector stands in one scope (account/region, subscription, project). */
@Entity('connector_checkpoints')
export class ConnectorCheckpointEntity {
  @PrimaryColumn('uuid', { name: 'connector_id' }) connectorId!: string;
  @PrimaryColumn('text') stream!: string;
  @PrimaryColumn('text') scope!: string;
  @Column('timestamptz', { nullable: true }) watermark!: Date | null;
  @Column('timestamptz', { name: 'window_start', nullable: true }) windowStart!: Date | null;
  @Column('timestamptz', { name: 'window_end', nullable: true }) windowEnd!: Date | null;
  @Column('jsonb', { name: 'page_cursor', nullable: true }) pageCursor!: unknown;
  @Column('jsonb') state!: Record<string, unknown>;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}
