import { Body, Controller, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
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
  constructor(private readonly ingestion: IngestionService) {}

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
  ingest(
    @Param('source') source: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Query() query: Record<string, string | undefined>,
  ): Promise<IngestResultDto> {
    return this.ingestion.ingest(source, body, contentType, query);
  }
}
