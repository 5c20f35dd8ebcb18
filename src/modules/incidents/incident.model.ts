import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  INCIDENT_SEVERITIES,
  INCIDENT_STATUSES,
  type IncidentSeverity,
  type IncidentStatus,
} from '#src/modules/incidents/incident.entity.js';

/*
 * One class per shape serves GraphQL (code-first) and OpenAPI alike, so the two APIs cannot drift:
 * the contract says REST returns the same fields as GraphQL.
 */

export const IncidentStatusEnum = Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, s])) as { [K in IncidentStatus]: K };
export const SeverityEnum = Object.fromEntries(INCIDENT_SEVERITIES.map((s) => [s, s])) as { [K in IncidentSeverity]: K };
registerEnumType(IncidentStatusEnum, { name: 'IncidentStatus', description: 'Where the incident is in its lifecycle.' });
registerEnumType(SeverityEnum, { name: 'Severity' });

@ObjectType('Resource')
export class ResourceModel {
  @Field() @ApiProperty({ enum: ['aws', 'azure', 'gcp'] }) provider!: string;
  @Field() @ApiProperty() accountId!: string;
  @Field(() => String, { nullable: true }) @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @Field({ description: 'aws.ec2.instance, azure.compute.vm, gcp.compute.instance …' }) @ApiProperty() type!: string;
  @Field(() => ID) @ApiProperty() id!: string;
  @Field(() => String, { nullable: true }) @ApiPropertyOptional({ type: String, nullable: true }) instanceType?: string | null;
}

@ObjectType('Money')
export class MoneyModel {
  @Field(() => Float) @ApiProperty() amount!: number;
  @Field() @ApiProperty({ example: 'USD' }) currency!: string;
}

@ObjectType('AttackVector')
export class AttackVectorModel {
  @Field(() => [String], { description: 'IAM users/roles, Azure callers, GCP principals that launched the resources.' })
  @ApiProperty({ type: [String] })
  principals!: string[];
  @Field(() => [String]) @ApiProperty({ type: [String] }) accessKeyIds!: string[];
  @Field(() => [String]) @ApiProperty({ type: [String] }) sourceIps!: string[];
  @Field(() => Date, { nullable: true, description: "The attacker's first recorded call." })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  firstCallAt?: Date | null;
}

@ObjectType('Signal')
export class SignalModel {
  @Field(() => ID) @ApiProperty() id!: string;
  @Field({ description: 'cost_anomaly, security_finding, utilization, provisioning, network, workload' }) @ApiProperty() kind!: string;
  @Field({ description: 'The ingest source, e.g. aws.guardduty' }) @ApiProperty() source!: string;
  @Field() @ApiProperty() sourceId!: string;
  @Field() @ApiProperty({ enum: ['aws', 'azure', 'gcp'] }) provider!: string;
  @Field() @ApiProperty() accountId!: string;
  @Field(() => String, { nullable: true }) @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) observedAt!: Date;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) observedUntil!: Date;
  @Field() @ApiProperty() severity!: string;
  @Field() @ApiProperty() title!: string;
  @Field() @ApiProperty() mining!: boolean;
  @Field(() => [ResourceModel]) @ApiProperty({ type: [ResourceModel] }) resources!: ResourceModel[];
  @Field(() => MoneyModel, { nullable: true }) @ApiPropertyOptional({ type: MoneyModel, nullable: true }) cost!: MoneyModel | null;
  @Field(() => ID, { nullable: true, description: 'The suppression rule that kept it out of incidents' })
  @ApiPropertyOptional({ type: String, nullable: true })
  suppressedBy!: string | null;
}

@ObjectType('Evidence')
export class EvidenceModel {
  @Field({ description: 'The correlation rule that linked the signal.' }) @ApiProperty() rule!: string;
  @Field(() => Float, { description: 'How much it adds to the confidence (0–1).' }) @ApiProperty() weight!: number;
  @Field({ description: 'Why this signal counts, in one sentence.' }) @ApiProperty() reason!: string;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) addedAt!: Date;
  @Field(() => SignalModel) @ApiProperty({ type: SignalModel }) signal!: SignalModel;
}

@ObjectType('IncidentTimelineEntry')
export class IncidentTimelineEntryModel {
  @Field() @ApiProperty({ example: 'incident.opened' }) type!: string;
  @Field() @ApiProperty() actor!: string;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) at!: Date;
  @Field({ description: 'What changed, as JSON.' }) @ApiProperty() details!: string;
}

@ObjectType('Incident')
export class IncidentModel {
  @Field(() => ID) @ApiProperty() id!: string;
  @Field(() => IncidentStatusEnum) @ApiProperty({ enum: INCIDENT_STATUSES }) status!: IncidentStatus;
  @Field(() => SeverityEnum) @ApiProperty({ enum: INCIDENT_SEVERITIES }) severity!: IncidentSeverity;
  @Field(() => Int, { description: '0–100, from the weights of the evidence.' })
  @ApiProperty({ minimum: 0, maximum: 100 })
  confidence!: number;
  @Field() @ApiProperty() title!: string;
  @Field(() => [String]) @ApiProperty({ type: [String] }) providers!: string[];
  @Field(() => [String]) @ApiProperty({ type: [String] }) accounts!: string[];
  @Field(() => [String]) @ApiProperty({ type: [String] }) regions!: string[];
  @Field(() => [ResourceModel]) @ApiProperty({ type: [ResourceModel] }) resources!: ResourceModel[];
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) firstSeenAt!: Date;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) lastSeenAt!: Date;
  @Field(() => MoneyModel) @ApiProperty({ type: MoneyModel }) costImpact!: MoneyModel;
  @Field(() => AttackVectorModel) @ApiProperty({ type: AttackVectorModel }) attackVector!: AttackVectorModel;
  @Field(() => [String], { description: 'MITRE ATT&CK technique ids.' })
  @ApiProperty({ type: [String], example: ['T1496'] })
  techniques!: string[];
  @Field(() => [String]) @ApiProperty({ type: [String] }) recommendedActions!: string[];
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: Date;
  @Field(() => ID, { nullable: true, description: 'An earlier, closed incident of the same campaign' })
  @ApiPropertyOptional({ type: String, nullable: true })
  relatedIncidentId!: string | null;
  @ApiPropertyOptional({ type: [EvidenceModel], description: 'Present on the single-incident endpoint.' }) evidence?: EvidenceModel[];
  @ApiPropertyOptional({ type: [IncidentTimelineEntryModel], description: 'Present on the single-incident endpoint.' })
  timeline?: IncidentTimelineEntryModel[];
}

@ObjectType('IncidentEvent', { description: 'Something happened to an incident: what, when, and the incident as it is now.' })
export class IncidentEventModel {
  @Field(() => ID, { description: 'Increases with every event: receivers can order and dedupe on it.' }) id!: string;
  @Field({ description: 'incident.opened, incident.updated, incident.escalated, incident.status_changed, incident.merged' }) type!: string;
  @Field(() => Date) at!: Date;
  @Field() actor!: string;
  @Field(() => IncidentModel) incident!: IncidentModel;
}

@ObjectType('PageInfo')
export class PageInfoModel {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType('IncidentEdge')
export class IncidentEdgeModel {
  @Field() cursor!: string;
  @Field(() => IncidentModel) node!: IncidentModel;
}

@ObjectType('IncidentConnection')
export class IncidentConnectionModel {
  @Field(() => [IncidentEdgeModel]) edges!: IncidentEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
  /** Resolved only when asked for (IncidentConnectionResolver): counting 100k rows is the costly part. */
  totalCount?: number;
  /** The filter the page was read with, for totalCount; not part of the schema. */
  filter?: IncidentFilterInput;
}

@InputType('IncidentFilter')
export class IncidentFilterInput {
  @Field(() => [IncidentStatusEnum], { nullable: true }) status?: IncidentStatus[];
  @Field(() => [SeverityEnum], { nullable: true }) severity?: IncidentSeverity[];
  @Field({ nullable: true, description: 'aws, azure or gcp' }) provider?: string;
  @Field({ nullable: true, description: 'Account, subscription or project id' }) account?: string;
  @Field({ nullable: true }) region?: string;
  @Field(() => Date, { nullable: true, description: 'Incidents seen at or after this time' }) since?: Date;
  @Field(() => Date, { nullable: true, description: 'Incidents that started before this time' }) until?: Date;
  @Field({ nullable: true, description: 'Words in the title' }) text?: string;
}

export class IncidentPageDto {
  @ApiProperty({ type: [IncidentModel] }) items!: IncidentModel[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class SignalPageDto {
  @ApiProperty({ type: [SignalModel] }) items!: SignalModel[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
