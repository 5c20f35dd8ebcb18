import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SIGNAL_KINDS } from '#src/connectors/signal.js';

@ObjectType('TagMatch')
@InputType('TagMatchInput')
export class TagMatchModel {
  @Field() @ApiProperty() key!: string;
  @Field({ nullable: true }) @ApiPropertyOptional({ description: 'Glob; without it, the key alone matches' }) value?: string;
}

@ObjectType('SuppressionMatch')
@InputType('SuppressionMatchInput')
export class SuppressionMatchModel {
  @Field({ nullable: true }) @ApiPropertyOptional({ enum: ['aws', 'azure', 'gcp'] }) provider?: string;
  @Field({ nullable: true }) @ApiPropertyOptional({ description: 'Account, subscription or project id (exact)' }) accountId?: string;
  @Field({ nullable: true })
  @ApiPropertyOptional({ description: 'Glob on the principal: identity ARN/email, name or access key id' })
  principal?: string;
  @Field({ nullable: true })
  @ApiPropertyOptional({ description: 'Glob on any resource id (`**` crosses slashes)' })
  resourcePattern?: string;
  @Field({ nullable: true })
  @ApiPropertyOptional({ description: 'Glob on the finding type, e.g. CryptoCurrency:EC2/*' })
  findingType?: string;
  @Field(() => TagMatchModel, { nullable: true }) @ApiPropertyOptional({ type: TagMatchModel }) tag?: TagMatchModel;
  @Field(() => [String], { nullable: true }) @ApiPropertyOptional({ enum: SIGNAL_KINDS, isArray: true }) kinds?: string[];
}

@ObjectType('SuppressionRule')
export class SuppressionRuleModel {
  @Field(() => ID) @ApiProperty() id!: string;
  @Field() @ApiProperty() name!: string;
  @Field() @ApiProperty({ description: 'Why this work is legitimate' }) reason!: string;
  @Field(() => SuppressionMatchModel) @ApiProperty({ type: SuppressionMatchModel }) match!: SuppressionMatchModel;
  @Field() @ApiProperty() createdBy!: string;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  expiresAt!: Date | null;
  @Field(() => Date, { nullable: true })
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  disabledAt!: Date | null;
  @Field(() => Int, { description: 'Signals this rule kept out of incidents' }) @ApiProperty() suppressedCount!: number;
}

@InputType('CreateSuppressionRuleInput')
export class CreateSuppressionRuleDto {
  @Field() @ApiProperty({ example: 'ML training in the research account' }) name!: string;
  @Field() @ApiProperty({ example: 'Nightly GPU training jobs launched by the CI role' }) reason!: string;
  @Field(() => SuppressionMatchModel) @ApiProperty({ type: SuppressionMatchModel }) match!: SuppressionMatchModel;
  @Field(() => Date, { nullable: true }) @ApiPropertyOptional({ type: String, format: 'date-time' }) expiresAt?: Date;
}
