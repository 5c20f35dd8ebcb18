import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import type { AuthedRequest } from '#src/platform/auth/api-key.guard.js';
import { IncidentErrorCode, IncidentException } from '#src/modules/incidents/incident.exception.js';
import type { IncidentStatus } from '#src/modules/incidents/incident.entity.js';
import { encodeCursor, IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { toEvidenceModel, toIncidentModel, toTimelineModel } from '#src/modules/incidents/incident.mapper.js';
import { IncidentLoaders } from '#src/modules/incidents/incident.loaders.js';
import { INCIDENT_EVENTS_TOPIC } from '#src/modules/incidents/incident-events.publisher.js';
import {
  EvidenceModel,
  IncidentEventModel,
  IncidentConnectionModel,
  IncidentFilterInput,
  IncidentModel,
  IncidentStatusEnum,
  IncidentTimelineEntryModel,
} from '#src/modules/incidents/incident.model.js';

interface GqlContext {
  reply: { request: AuthedRequest };
  loaders: IncidentLoaders;
}

/** Whether an incident passes a filter; the subscription applies it to every event. */
export function matchesFilter(i: IncidentModel, f: IncidentFilterInput | null | undefined): boolean {
  if (!f) return true;
  if (f.status?.length && !f.status.includes(i.status)) return false;
  if (f.severity?.length && !f.severity.includes(i.severity)) return false;
  if (f.provider && !i.providers.includes(f.provider)) return false;
  if (f.account && !i.accounts.includes(f.account)) return false;
  if (f.region && !i.regions.includes(f.region)) return false;
  if (f.since && new Date(i.lastSeenAt) < new Date(f.since)) return false;
  if (f.until && new Date(i.firstSeenAt) >= new Date(f.until)) return false;
  if (f.text && !i.title.toLowerCase().includes(f.text.toLowerCase())) return false;
  return true;
}

@Resolver(() => IncidentModel)
export class IncidentsResolver {
  constructor(private readonly service: IncidentsService) {}

  @Query(() => IncidentConnectionModel, { description: 'Incidents, newest activity first (Relay connection).' })
  @RequireScope('incidents:read')
  async incidents(
    @Args('filter', { type: () => IncidentFilterInput, nullable: true }) filter: IncidentFilterInput | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 20 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<IncidentConnectionModel> {
    if (first < 1 || first > 100) {
      throw new IncidentException(IncidentErrorCode.InvalidQuery, '`first` must be between 1 and 100.', [
        { field: 'first', message: 'must be 1 to 100' },
      ]);
    }
    const f = { ...(filter ?? {}) };
    const page = await this.service.list(f, first, after ?? undefined);
    const edges = page.items.map((i) => ({ cursor: encodeCursor(i), node: toIncidentModel(i) }));
    return {
      edges,
      filter: f,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  @Query(() => IncidentModel, { nullable: true, description: 'One incident; null when there is none with this id.' })
  @RequireScope('incidents:read')
  async incident(@Args('id', { type: () => ID }) id: string): Promise<IncidentModel | null> {
    try {
      return toIncidentModel(await this.service.get(id));
    } catch (error) {
      if (error instanceof IncidentException && error.code === IncidentErrorCode.NotFound) return null;
      throw error;
    }
  }

  @Mutation(() => IncidentModel, { description: 'Moves an incident to another status, with an optional note for the timeline.' })
  @RequireScope('incidents:write')
  async transitionIncident(
    @Args('id', { type: () => ID }) id: string,
    @Args('to', { type: () => IncidentStatusEnum }) to: IncidentStatus,
    @Args('note', { type: () => String, nullable: true }) note: string | null,
    @Context() ctx: GqlContext,
  ): Promise<IncidentModel> {
    const actor = `api-key:${ctx.reply.request.apiKey?.name ?? 'unknown'}`;
    return toIncidentModel(await this.service.transition(id, to, note ?? undefined, actor));
  }

  @Subscription(() => IncidentEventModel, {
    description: 'Every change to an incident that passes the filter, from any replica, as it commits.',
    filter: (payload: { incidentEvents: IncidentEventModel }, variables: { filter?: IncidentFilterInput | null }) =>
      matchesFilter(payload.incidentEvents.incident, variables.filter),
  })
  @RequireScope('incidents:read')
  incidentEvents(
    @Args('filter', { type: () => IncidentFilterInput, nullable: true }) _filter: IncidentFilterInput | null,
    @Context('pubsub') pubsub: { subscribe(topic: string): Promise<AsyncIterable<unknown>> },
  ) {
    return pubsub.subscribe(INCIDENT_EVENTS_TOPIC);
  }

  @ResolveField(() => [EvidenceModel], { description: 'Each signal with the rule, weight and reason that linked it.' })
  @RequireScope('incidents:read')
  async evidence(@Parent() incident: IncidentModel, @Context('loaders') loaders: IncidentLoaders): Promise<EvidenceModel[]> {
    return (await loaders.evidence.load(incident.id)).map(toEvidenceModel);
  }

  @ResolveField(() => [IncidentTimelineEntryModel], { description: 'What happened to the incident, oldest first.' })
  @RequireScope('incidents:read')
  async timeline(@Parent() incident: IncidentModel, @Context('loaders') loaders: IncidentLoaders): Promise<IncidentTimelineEntryModel[]> {
    return (await loaders.timeline.load(incident.id)).map(toTimelineModel);
  }
}

@Resolver(() => IncidentConnectionModel)
export class IncidentConnectionResolver {
  constructor(private readonly service: IncidentsService) {}

  @ResolveField(() => Int, { description: 'How many incidents match the filter, across all pages.' })
  @RequireScope('incidents:read')
  totalCount(@Parent() connection: IncidentConnectionModel): Promise<number> {
    return this.service.count(connection.filter ?? {});
  }
}
