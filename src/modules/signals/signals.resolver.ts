import { Args, Field, InputType, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';
import { toSignalModel } from '#src/modules/incidents/incident.mapper.js';
import { PageInfoModel, SignalModel } from '#src/modules/incidents/incident.model.js';
import { decodeSignalCursor, encodeSignalCursor } from '#src/modules/signals/signal-cursor.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

@InputType('SignalFilter')
export class SignalFilterInput {
  @Field({ nullable: true, description: 'cost_anomaly, security_finding, utilization, provisioning, network, workload' }) kind?: string;
  @Field({ nullable: true }) provider?: string;
  @Field({ nullable: true }) account?: string;
  @Field({ nullable: true }) region?: string;
  @Field({ nullable: true, description: 'Ingest source, e.g. aws.guardduty' }) source?: string;
  @Field(() => Date, { nullable: true }) since?: Date;
  @Field(() => Date, { nullable: true }) until?: Date;
}

@ObjectType('SignalEdge')
class SignalEdgeModel {
  @Field() cursor!: string;
  @Field(() => SignalModel) node!: SignalModel;
}

@ObjectType('SignalConnection')
class SignalConnectionModel {
  @Field(() => [SignalEdgeModel]) edges!: SignalEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}

@Resolver(() => SignalModel)
export class SignalsResolver {
  constructor(private readonly repo: SignalsRepository) {}

  @Query(() => SignalConnectionModel, { description: 'Normalized signals, newest first (Relay connection).' })
  @RequireScope('incidents:read')
  async signals(
    @Args('filter', { type: () => SignalFilterInput, nullable: true }) filter: SignalFilterInput | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 20 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<SignalConnectionModel> {
    if (first < 1 || first > 100) {
      throw new CommonException(CommonErrorCode.BadRequest, '`first` must be between 1 and 100.', [
        { field: 'first', message: 'must be 1 to 100' },
      ]);
    }
    const rows = await this.repo.list({ ...(filter ?? {}), limit: first + 1, after: after ? decodeSignalCursor(after) : undefined });
    const items = rows.slice(0, first);
    const edges = items.map((s) => ({ cursor: encodeSignalCursor(s), node: toSignalModel(s) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > first,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }
}
