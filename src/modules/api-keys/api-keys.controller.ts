import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { SCOPES } from '#src/platform/auth/api-key.js';
import { ApiKeysService } from '#src/platform/auth/api-keys.service.js';
import type { ApiKeyEntity } from '#src/platform/auth/api-key.entity.js';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';
import { parseQuery } from '#src/platform/http/query.js';

class CreateApiKeyDto {
  @ApiProperty({ example: 'finops-dashboard', maxLength: 100 }) name!: string;
  @ApiProperty({ enum: SCOPES, isArray: true, example: ['incidents:read'] }) scopes!: string[];
}

class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'First characters of the key, to recognise it; the key itself is never shown again.' }) prefix!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: string[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) revokedAt!: Date | null;
}

class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key. Shown once: store it now.' }) key!: string;
}

const createBody = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` })).min(1, 'must name at least one scope'),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toDto(k: ApiKeyEntity): ApiKeyDto {
  return { id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

@ApiTags('api keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create a key with the given scopes; the reply shows the key once' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(@Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { name, scopes } = parseQuery(createBody, body);
    const { key, entity } = await this.keys.create(name, [...new Set(scopes)]);
    return { ...toDto(entity), key };
  }

  @Get()
  @RequireScope('admin')
  @ApiOperation({ summary: 'List keys (prefix and scopes; never the key)' })
  @ApiOkResponse({ type: [ApiKeyDto] })
  async list(): Promise<ApiKeyDto[]> {
    return (await this.keys.list()).map(toDto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Revoke a key; requests with it are refused from now on' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.keys.revoke(id))) throw new CommonException(CommonErrorCode.NotFound, `No active API key ${id}.`);
  }
}
