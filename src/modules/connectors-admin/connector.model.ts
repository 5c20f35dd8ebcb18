import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDERS } from '#src/connectors/signal.js';
import { RUN_STATUSES } from '#src/modules/connectors-admin/connector.entity.js';

/*
 * One class per shape serves GraphQL (code-first) and OpenAPI alike. Secrets go in (credentials,
 * external id) and never come out: replies say only whether they are stored.
 */

@InputType('ConnectorCredentialsInput')
export class ConnectorCredentialsInput {
  @Field({
    description:
      "default: the SDK's own chain (AWS profile/role, Azure DefaultAzureCredential, Google ADC); static: AWS keys; token: a bearer token",
  })
  @ApiProperty({ enum: ['default', 'static', 'token'] })
  source!: string;
  @Field({ nullable: true }) @ApiPropertyOptional({ description: 'AWS, source static' }) accessKeyId?: string;
  @Field({ nullable: true })
  @ApiPropertyOptional({ description: 'AWS, source static; stored encrypted, never returned' })
  secretAccessKey?: string;
  @Field({ nullable: true })
  @ApiPropertyOptional({ description: 'AWS, source static; stored encrypted, never returned' })
  sessionToken?: string;
  @Field({ nullable: true })
  @ApiPropertyOptional({ description: 'Azure or GCP, source token; stored encrypted, never returned' })
  token?: string;
}

@InputType('AssumeRoleInput')
export class AssumeRoleInput {
  @Field({ description: 'The role to assume in each account; {accountId} stands for the account' })
  @ApiProperty({ example: 'arn:aws:iam::{accountId}:role/MineWatchReader' })
  roleArn!: string;
  @Field({ nullable: true, description: 'Stored encrypted, never returned' })
  @ApiPropertyOptional({ description: 'Stored encrypted, never returned' })
  externalId?: string;
}

@InputType('ConnectorInput')
export class CreateConnectorDto {
  @Field() @ApiProperty({ example: 'production AWS' }) name!: string;
  @Field() @ApiProperty({ enum: PROVIDERS }) provider!: string;
  @Field(() => [String], { description: 'AWS accounts, Azure subscriptions or GCP projects' })
  @ApiProperty({ type: [String], example: ['123456789012'] })
  scopes!: string[];
  @Field(() => [String], { nullable: true, description: 'Streams to collect; default: every stream of the provider' })
  @ApiPropertyOptional({ type: [String], example: ['cost-anomalies', 'cost', 'cloudtrail', 'guardduty', 'cloudwatch'] })
  collect?: string[];
  @Field(() => Int, { nullable: true, description: 'Minutes between scheduled runs (default 60)' })
  @ApiPropertyOptional({ default: 60, minimum: 1, maximum: 10080 })
  intervalMinutes?: number;
  @Field(() => Int, { nullable: true, description: 'How far back a first run fetches (default 35 days)' })
  @ApiPropertyOptional({ default: 35, minimum: 1, maximum: 400 })
  backfillDays?: number;
  @Field(() => [String], { nullable: true, description: 'AWS regions (default us-east-1)' })
  @ApiPropertyOptional({ type: [String] })
  regions?: string[];
  @Field({ nullable: true, description: "Send every API call here instead of the cloud's own endpoints (proxies, emulators, tests)" })
  @ApiPropertyOptional({ example: 'http://127.0.0.1:4566' })
  endpoint?: string;
  @Field({ nullable: true, description: 'PEM certificate to trust for the endpoint' }) @ApiPropertyOptional() caCertificate?: string;
  @Field(() => ConnectorCredentialsInput, { nullable: true })
  @ApiPropertyOptional({ type: ConnectorCredentialsInput })
  credentials?: ConnectorCredentialsInput;
  @Field(() => AssumeRoleInput, { nullable: true }) @ApiPropertyOptional({ type: AssumeRoleInput }) assumeRole?: AssumeRoleInput;
  @Field({ nullable: true, description: 'GCP: the BigQuery billing export table, project.dataset.table' })
  @ApiPropertyOptional()
  billingTable?: string;
  @Field({ nullable: true, description: 'GCP: the billing account whose Cloud Billing anomalies are read' })
  @ApiPropertyOptional()
  billingAccount?: string;
}

@InputType('ConnectorUpdateInput')
export class UpdateConnectorDto {
  @Field({ nullable: true }) @ApiPropertyOptional() name?: string;
  @Field(() => [String], { nullable: true }) @ApiPropertyOptional({ type: [String] }) scopes?: string[];
  @Field(() => [String], { nullable: true }) @ApiPropertyOptional({ type: [String] }) collect?: string[];
  @Field(() => Int, { nullable: true }) @ApiPropertyOptional() intervalMinutes?: number;
  @Field(() => Int, { nullable: true }) @ApiPropertyOptional() backfillDays?: number;
  @Field(() => [String], { nullable: true }) @ApiPropertyOptional({ type: [String] }) regions?: string[];
  @Field({ nullable: true }) @ApiPropertyOptional() endpoint?: string;
  @Field({ nullable: true }) @ApiPropertyOptional() caCertificate?: string;
  @Field(() => ConnectorCredentialsInput, { nullable: true, description: 'Replaces the stored credentials' })
  @ApiPropertyOptional({ type: ConnectorCredentialsInput })
  credentials?: ConnectorCredentialsInput;
  @Field(() => AssumeRoleInput, { nullable: true }) @ApiPropertyOptional({ type: AssumeRoleInput }) assumeRole?: AssumeRoleInput;
  @Field({ nullable: true }) @ApiPropertyOptional() billingTable?: string;
  @Field({ nullable: true }) @ApiPropertyOptional() billingAccount?: string;
}

@ObjectType('ConnectorCredentials')
export class ConnectorCredentialsModel {
  @Field() @ApiProperty({ enum: ['default', 'static', 'token'] }) source!: string;
  @Field({ description: 'Whether secrets (keys, token, external id) are stored, encrypted' }) @ApiProperty() secretsStored!: boolean;
  @Field(() => String, { nullable: true, description: 'The last four characters of a static AWS access key id' })
  @ApiPropertyOptional({ type: String, nullable: true, example: '…WXYZ' })
  accessKeyIdHint!: string | null;
}

@ObjectType('AssumeRole')
export class AssumeRoleModel {
  @Field() @ApiProperty() roleArn!: string;
  @Field() @ApiProperty({ description: 'Whether an external id is stored (never shown)' }) externalIdSet!: boolean;
}

@ObjectType('Connector')
export class ConnectorModel {
  @Field(() => ID) @ApiProperty() id!: string;
  @Field() @ApiProperty() name!: string;
  @Field() @ApiProperty({ enum: PROVIDERS }) provider!: string;
  @Field(() => [String]) @ApiProperty({ type: [String] }) scopes!: string[];
  @Field(() => [String], { description: 'The streams it collects' }) @ApiProperty({ type: [String] }) collect!: string[];
  @Field(() => Int) @ApiProperty() intervalMinutes!: number;
  @Field(() => Int) @ApiProperty() backfillDays!: number;
  @Field(() => [String], { nullable: true }) @ApiPropertyOptional({ type: [String], nullable: true }) regions!: string[] | null;
  @Field(() => String, { nullable: true }) @ApiPropertyOptional({ type: String, nullable: true }) endpoint!: string | null;
  @Field() @ApiProperty() caCertificateSet!: boolean;
  @Field(() => String, { nullable: true }) @ApiPropertyOptional({ type: String, nullable: true }) billingTable!: string | null;
  @Field(() => String, { nullable: true }) @ApiPropertyOptional({ type: String, nullable: true }) billingAccount!: string | null;
  @Field(() => ConnectorCredentialsModel) @ApiProperty({ type: ConnectorCredentialsModel }) credentials!: ConnectorCredentialsModel;
  @Field(() => AssumeRoleModel, { nullable: true })
  @ApiPropertyOptional({ type: AssumeRoleModel, nullable: true })
  assumeRole!: AssumeRoleModel | null;
  @Field({ description: 'active or paused' }) @ApiProperty({ enum: ['active', 'paused'] }) status!: string;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  nextRunAt!: Date | null;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  lastRunAt!: Date | null;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  lastSuccessAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'succeeded, partial, failed or skipped' })
  @ApiPropertyOptional({ enum: RUN_STATUSES, nullable: true })
  lastRunStatus!: string | null;
  @Field(() => Int, { description: 'Items the last run fetched' }) @ApiProperty() itemsFetched!: number;
  @Field(() => String, { nullable: true, description: 'What went wrong last; never a credential' })
  @ApiPropertyOptional({ type: String, nullable: true })
  lastError!: string | null;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  lastErrorAt!: Date | null;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: Date;
}

@ObjectType('ConnectorStreamOutcome')
export class StreamOutcomeModel {
  @Field() @ApiProperty({ example: 'guardduty' }) stream!: string;
  @Field(() => Int) @ApiProperty() items!: number;
  @Field(() => Int) @ApiProperty() pages!: number;
  @Field(() => String, { nullable: true }) @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
}

@ObjectType('ConnectorRun')
export class ConnectorRunModel {
  @Field(() => ID) @ApiProperty() id!: string;
  @Field({ description: 'schedule or manual' }) @ApiProperty({ enum: ['schedule', 'manual'] }) trigger!: string;
  @Field(() => Date, { description: 'The tick a scheduled run belongs to' })
  @ApiProperty({ type: String, format: 'date-time' })
  slot!: Date;
  @Field() @ApiProperty({ enum: RUN_STATUSES }) status!: string;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) queuedAt!: Date;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  startedAt!: Date | null;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  finishedAt!: Date | null;
  @Field(() => Int) @ApiProperty() itemsFetched!: number;
  @Field(() => Int) @ApiProperty() pages!: number;
  @Field(() => Int, { description: 'Throttling answers that were retried' }) @ApiProperty() throttled!: number;
  @Field(() => [StreamOutcomeModel]) @ApiProperty({ type: [StreamOutcomeModel] }) streams!: StreamOutcomeModel[];
  @Field(() => String, { nullable: true }) @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
}

export class ConnectorListDto {
  @ApiProperty({ type: [ConnectorModel] }) items!: ConnectorModel[];
}

export class ConnectorRunListDto {
  @ApiProperty({ type: [ConnectorRunModel] }) items!: ConnectorRunModel[];
}
