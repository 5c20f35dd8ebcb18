import { Body, Controller, Headers, HttpCode, Options, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public, RequireScope } from '#src/platform/auth/auth.decorators.js';
import { PushChannelsService } from '#src/modules/ingestion/push/push-channels.service.js';
import { IngestionService } from '#src/modules/ingestion/ingestion.service.js';

class IngestResultDto {
  @ApiProperty({ description: 'Items stored: new ones plus newer versions of known ones.' }) accepted!: number;
  @ApiProperty({ description: 'Of accepted, how many replaced an older version.' }) updated!: number;
  @ApiProperty({ description: 'Items already stored in this or a newer version.' }) duplicates!: number;
  @ApiProperty({ description: 'Items read and dropped on purpose (e.g. flow records on no mining port).' }) ignored!: number;
  @ApiProperty({ type: [String], description: 'Signal id of each item, in request order.' }) signalIds!: string[];
}

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest')
export class IngestionController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly push: PushChannelsService,
  ) {}

  @Post(':source')
  @HttpCode(200)
  @RequireScope('ingest')
  @ApiOperation({
    summary: 'Ingest a cloud payload in its native shape',
    description:
      'The body is the cloud\'s own JSON (one object, an array, a list response or NDJSON). A 2xx means every item is committed; ' +
      'a 4xx application/problem+json names every bad item (index and JSON pointer) and stores nothing.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson', 'text/plain', 'text/csv')
  @ApiBody({ schema: { description: 'Native payload of the source' } })
  @ApiOkResponse({ type: IngestResultDto })
  async ingest(
    @Param('source') source: string,
    @Body() body: unknown,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Query() query: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IngestResultDto | unknown> {
    const handshake = await this.push.handshake(headers, body);
    if (handshake) {
      void reply.status(handshake.status);
      return handshake.body;
    }
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
    return this.ingestion.ingest(source, body, contentType, query);
  }

  @Options(':source')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'CloudEvents webhook validation (Event Grid with the CloudEvents schema): echoes WebHook-Request-Origin' })
  validate(@Headers() headers: Record<string, string | string[] | undefined>, @Res({ passthrough: true }) reply: FastifyReply): string {
    const answer = this.push.abuseProtection(headers);
    if (!answer) {
      void reply.status(400);
      return '';
    }
    void reply.headers(answer.headers ?? {});
    return '';
  }
}
