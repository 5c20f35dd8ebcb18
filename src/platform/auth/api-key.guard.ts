import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';
import { grants, type Scope } from '#src/platform/auth/api-key.js';
import { ApiKeysService, type AuthenticatedKey } from '#src/platform/auth/api-keys.service.js';
import { PUBLIC_KEY, SCOPE_KEY } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';

export type AuthedRequest = FastifyRequest & { apiKey?: AuthenticatedKey };

/**
 * The key a request presents. Push channels cannot always send a bearer token: SNS HTTP(S)
 * subscriptions carry credentials only as basic auth in the endpoint URL, and Pub/Sub push uses
 * the Authorization header for its own OIDC token, so ingest routes also take the key as the basic
 * auth password, as `?key=` (request logs never include the query string), or in Firehose's
 * `X-Amz-Firehose-Access-Key` header.
 */
function presentedKey(request: AuthedRequest): string | null {
  const header = request.headers?.authorization;
  if (typeof header === 'string') {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (bearer && bearer.startsWith('mwk_')) return bearer;
    const basic = /^Basic\s+(\S+)\s*$/i.exec(header)?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      if (password) return password;
    }
  }
  const url = request.url ?? '';
  if (url.startsWith('/v1/ingest/')) {
    // Amazon Data Firehose HTTP endpoint delivery sends its configured access key in this header.
    const firehose = request.headers?.['x-amz-firehose-access-key'];
    if (typeof firehose === 'string' && firehose.length > 0) return firehose.trim();
    const fromQuery = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('key');
    if (url.includes('?') && fromQuery) return fromQuery;
  }
  if (typeof header === 'string') return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
  return null;
}

/** Applied globally: every route and resolver is closed unless it declares @Public or a scope. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets);

    const request = this.requestOf(context);
    if (!request) throw new CommonException(CommonErrorCode.Unauthenticated, 'Send an API key as "Authorization: Bearer <key>".');
    const key = await this.authenticate(request);
    if (!scope) throw new CommonException(CommonErrorCode.Forbidden, 'This operation declares no scope and is closed.');
    if (!grants(key.scopes, scope)) {
      throw new CommonException(CommonErrorCode.Forbidden, `This operation needs the "${scope}" scope.`);
    }
    return true;
  }

  private requestOf(context: ExecutionContext): AuthedRequest | undefined {
    if (context.getType<string>() === 'graphql') {
      const gql = GqlExecutionContext.create(context).getContext<{
        req?: AuthedRequest;
        reply?: { request: AuthedRequest };
        apiKey?: AuthenticatedKey;
      }>();
      // Subscriptions: the key came in the graphql-ws connection payload (see app.module.ts).
      if (gql.apiKey) return { headers: {}, apiKey: gql.apiKey } as AuthedRequest;
      return gql.req ?? gql.reply?.request;
    }
    return context.switchToHttp().getRequest<AuthedRequest>();
  }

  async authenticate(request: AuthedRequest): Promise<AuthenticatedKey> {
    if (request.apiKey) return request.apiKey;
    const presented = presentedKey(request);
    if (!presented) {
      throw new CommonException(CommonErrorCode.Unauthenticated, 'Send an API key as "Authorization: Bearer <key>".', undefined, {
        'www-authenticate': 'Bearer realm="minewatch"',
      });
    }
    const key = await this.keys.authenticate(presented);
    if (!key) {
      throw new CommonException(CommonErrorCode.Unauthenticated, 'The API key is unknown or revoked.', undefined, {
        'www-authenticate': 'Bearer realm="minewatch", error="invalid_token"',
      });
    }
    request.apiKey = key;
    return key;
  }
}
