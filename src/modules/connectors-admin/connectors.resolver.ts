import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { ConnectorErrorCode, ConnectorException } from '#src/modules/connectors-admin/connector.exception.js';
import {
  ConnectorModel,
  ConnectorRunModel,
  CreateConnectorDto,
  UpdateConnectorDto,
} from '#src/modules/connectors-admin/connector.model.js';
import { ConnectorsService } from '#src/modules/connectors-admin/connectors.service.js';

/** GraphQL inputs arrive as class instances with nulls for absent fields; the REST validation wants plain JSON. */
function plain(input: object): unknown {
  return JSON.parse(JSON.stringify(input, (_k, v: unknown) => (v === null ? undefined : v)));
}

@Resolver(() => ConnectorModel)
export class ConnectorsResolver {
  constructor(private readonly service: ConnectorsService) {}

  @Query(() => [ConnectorModel], { description: 'Pull connectors with their status.' })
  @RequireScope('admin')
  connectors(): Promise<ConnectorModel[]> {
    return this.service.list();
  }

  @Query(() => ConnectorModel, { nullable: true, description: 'One connector; null when there is none with this id.' })
  @RequireScope('admin')
  async connector(@Args('id', { type: () => ID }) id: string): Promise<ConnectorModel | null> {
    try {
      return await this.service.get(id);
    } catch (error) {
      if (error instanceof ConnectorException && error.code === ConnectorErrorCode.NotFound) return null;
      throw error;
    }
  }

  @Query(() => [ConnectorRunModel], { description: 'Recent runs of a connector, newest first.' })
  @RequireScope('admin')
  connectorRuns(
    @Args('id', { type: () => ID }) id: string,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 20 }) first: number,
  ): Promise<ConnectorRunModel[]> {
    return this.service.runs(id, { limit: first });
  }

  @Mutation(() => ConnectorModel, { description: 'Configures a pull connector; its first run starts at once.' })
  @RequireScope('admin')
  createConnector(@Args('input', { type: () => CreateConnectorDto }) input: CreateConnectorDto): Promise<ConnectorModel> {
    return this.service.create(plain(input));
  }

  @Mutation(() => ConnectorModel, { description: 'Changes a connector; credentials given replace the stored ones.' })
  @RequireScope('admin')
  updateConnector(
    @Args('id', { type: () => ID }) id: string,
    @Args('input', { type: () => UpdateConnectorDto }) input: UpdateConnectorDto,
  ): Promise<ConnectorModel> {
    return this.service.update(id, plain(input));
  }

  @Mutation(() => ConnectorModel, { description: 'Stops scheduled runs.' })
  @RequireScope('admin')
  pauseConnector(@Args('id', { type: () => ID }) id: string): Promise<ConnectorModel> {
    return this.service.pause(id);
  }

  @Mutation(() => ConnectorModel, { description: 'Resumes scheduled runs.' })
  @RequireScope('admin')
  resumeConnector(@Args('id', { type: () => ID }) id: string): Promise<ConnectorModel> {
    return this.service.resume(id);
  }

  @Mutation(() => Boolean, { description: 'Removes a connector with its runs and checkpoints.' })
  @RequireScope('admin')
  async deleteConnector(@Args('id', { type: () => ID }) id: string): Promise<boolean> {
    await this.service.remove(id);
    return true;
  }

  @Mutation(() => ConnectorRunModel, { description: 'Runs a connector now, from where its last run stopped.' })
  @RequireScope('admin')
  runConnector(@Args('id', { type: () => ID }) id: string): Promise<ConnectorRunModel> {
    return this.service.runNow(id);
  }
}
