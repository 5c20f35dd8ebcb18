import type { Readable } from 'node:stream';
import { Body, Controller, Headers, HttpCode, Inject, Options, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { Public, RequireScope } from '#src/platform/auth/auth.decorators.js';
import { PushChannelsService } from '#src/modules/ingestion/push/push-channels.service.js';
import { IngestionService, isReadable } from '#src/modules/ingestion/ingestion.service.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';

class IngestResultDto {
  @ApiProperty({ description: 'Items stored: new ones plus newer versions of known ones.' }) accepted!: number;
  @ApiProperty({ description: 'Of accepted, how many replaced an older version.' }) updated!: number;
  @ApiProperty({ description: 'Items already stored in this or a newer version.' }) duplicates!: number;
  @ApiProperty({ description: 'Items read and dropped on purpose (e.g. flow records on no mining port, cost rows that are not usage).' })
  ignored!: number;
  @ApiProperty({ description: 'Daily cost rows stored (focus, azure.cost, gcp.billing).' }) costRows!: number;
  @ApiProperty({ description: "cost_anomaly signals MineWatch's cost detector wrote or changed because of this request." })
  costAnomalies!: number;
  @ApiProperty({ type: [String], description: 'Signal id of each item, in request order.' }) signalIds!: string[];
  @ApiProperty({ required: false, description: 'Set when a streamed request stored more items than the 10,000 ids signalIds lists.' })
  signalIdsTruncated?: boolean;
  @ApiProperty({
    required: false,
    description: 'Amazon Data Firehose deliveries only: the X-Amz-Firehose-Request-Id, echoed as Firehose requires.',
  })
  requestId?: string;
  @ApiProperty({
    required: false,
    description: 'Amazon Data Firehose deliveries only: when the reply was made, in milliseconds since the epoch.',
  })
  timestamp?: number;
}

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest')
export class IngestionController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly push: PushChannelsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':source')
  @HttpCode(200)
  @RequireScope('ingest')
  @ApiOperation({
    summary: 'Ingest a cloud payload in its native shape',
    description:
      "The body is the cloud's own JSON (one object, an array, a list response or NDJSON). A 2xx means every item is committed; " +
      'a 4xx application/problem+json names every bad item (index and JSON pointer) and stores nothing. NDJSON and FOCUS CSV bodies ' +
      'are streamed: read and stored in batches within one transaction, up to MINEWATCH_MAX_STREAM_BYTES (default 2 GiB).',
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
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
    // CSV and NDJSON bodies arrive unread (see bootstrap.ts): push handshakes are JSON, so a stream is a payload.
    if (isReadable(body)) return this.ingestStream(source, body, contentType, headers, query, reply);
    const handshake = await this.push.handshake(headers, body);
    if (handshake) {
      void reply.status(handshake.status);
      return handshake.body;
    }
    const result = await this.ingestion.ingest(source, body, contentType, query);
    // Amazon Data Firehose counts a delivery as done only when the reply echoes its request id.
    if (typeof headers['x-amz-firehose-request-id'] === 'string') return { requestId: reply.request.id, timestamp: Date.now(), ...result };
    return result;
  }

  private async ingestStream(
    source: string,
    body: Readable,
    contentType: string | undefined,
    headers: Record<string, string | string[] | undefined>,
    query: Record<string, string | undefined>,
    reply: FastifyReply,
  ): Promise<IngestResultDto> {
    const limit = this.config.maxStreamBytes;
    try {
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        throw new CommonException(
          CommonErrorCode.PayloadTooLarge,
          `The body is larger than ${limit} bytes (MINEWATCH_MAX_STREAM_BYTES); nothing was stored.`,
          [{ index: null, field: '/', message: `Content-Length ${declared} is larger than ${limit} bytes` }],
        );
      }
      return await this.ingestion.ingest(source, body, contentType, query);
    } catch (error) {
      // The rest of a rejected body is not read: closing the connection spares the client sending it.
      if (!body.readableEnded) void reply.header('connection', 'close');
      throw error;
    }
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
