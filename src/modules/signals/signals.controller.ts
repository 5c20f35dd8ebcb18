import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { PROVIDERS, SIGNAL_KINDS } from '#src/connectors/signal.js';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';
import { parseQuery } from '#src/platform/http/query.js';
import { toSignalModel } from '#src/modules/incidents/incident.mapper.js';
import { SignalModel, SignalPageDto } from '#src/modules/incidents/incident.model.js';
import { decodeSignalCursor, encodeSignalCursor } from '#src/modules/signals/signal-cursor.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const date = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));

const signalQuery = z.object({
  kind: z.enum(SIGNAL_KINDS).optional(),
  provider: z.enum(PROVIDERS).optional(),
  account: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
  since: date.optional(),
  until: date.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(50),
  cursor: z.string().min(1).optional(),
});

@ApiTags('signals')
@ApiBearerAuth()
@Controller('v1/signals')
export class SignalsController {
  constructor(private readonly signals: SignalsRepository) {}

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'Normalized signals, newest first, with cursor paging' })
  @ApiQuery({ name: 'kind', required: false, enum: SIGNAL_KINDS })
  @ApiQuery({ name: 'provider', required: false, enum: PROVIDERS })
  @ApiQuery({ name: 'account', required: false })
  @ApiQuery({ name: 'region', required: false })
  @ApiQuery({ name: 'source', required: false, description: 'Ingest source, e.g. aws.guardduty' })
  @ApiQuery({ name: 'since', required: false })
  @ApiQuery({ name: 'until', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: SignalPageDto })
  async list(@Query() query: unknown): Promise<SignalPageDto> {
    const q = parseQuery(signalQuery, query);
    const rows = await this.signals.list({ ...q, limit: q.limit + 1, after: q.cursor ? decodeSignalCursor(q.cursor) : undefined });
    const items = rows.slice(0, q.limit);
    return { items: items.map(toSignalModel), nextCursor: rows.length > q.limit ? encodeSignalCursor(items[items.length - 1]!) : null };
  }

  @Get(':id')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'One signal' })
  @ApiOkResponse({ type: SignalModel })
  async get(@Param('id') id: string): Promise<SignalModel> {
    const signal = UUID.test(id) ? await this.signals.findById(id) : null;
    if (!signal) throw new CommonException(CommonErrorCode.NotFound, `No signal ${id}.`);
    return toSignalModel(signal);
  }
}
