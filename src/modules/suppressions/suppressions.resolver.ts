import { Args, Context, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { AuthedRequest } from '#src/platform/auth/api-key.guard.js';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';
import { parseQuery } from '#src/platform/http/query.js';
import { CreateSuppressionRuleDto, SuppressionRuleModel } from '#src/modules/suppressions/suppression.model.js';
import { createSuppressionSchema } from '#src/modules/suppressions/suppression.schema.js';
import { SuppressionsService } from '#src/modules/suppressions/suppressions.service.js';

@Resolver(() => SuppressionRuleModel)
export class SuppressionsResolver {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Query(() => [SuppressionRuleModel], { description: 'Suppression rules, with how many signals each kept out of incidents.' })
  @RequireScope('incidents:read')
  suppressionRules(): Promise<SuppressionRuleModel[]> {
    return this.suppressions.list();
  }

  @Mutation(() => SuppressionRuleModel, { description: 'Adds a rule for legitimate GPU or mining work.' })
  @RequireScope('incidents:write')
  async createSuppressionRule(
    @Args('input') input: CreateSuppressionRuleDto,
    @Context() ctx: { reply: { request: AuthedRequest } },
  ): Promise<SuppressionRuleModel> {
    const parsed = parseQuery(createSuppressionSchema, input);
    return this.suppressions.create(
      { ...parsed, expiresAt: parsed.expiresAt ?? null },
      `api-key:${ctx.reply.request.apiKey?.name ?? 'unknown'}`,
    );
  }

  @Mutation(() => Boolean, { description: 'Disables a rule; it stays listed with what it suppressed.' })
  @RequireScope('incidents:write')
  async disableSuppressionRule(@Args('id', { type: () => ID }) id: string): Promise<boolean> {
    if (!(await this.suppressions.disable(id).catch(() => false)))
      throw new CommonException(CommonErrorCode.NotFound, `No active suppression rule ${id}.`);
    return true;
  }
}
