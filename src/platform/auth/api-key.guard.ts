import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { FastifyRequest } from 'fastify';
import { grants, type Scope } from '#src/platform/auth/api-key.js';
import { ApiKeysService, type AuthenticatedKey } from '#src/platform/auth/api-keys.service.js';
import { PUBLIC_KEY, SCOPE_KEY } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';

export type AuthedRequest = FastifyRequest & { apiKey?: AuthenticatedKey };

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
      const gql = GqlExecutionContext.create(context).getContext<{ req?: AuthedRequest; reply?: { request: AuthedRequest }; apiKey?: AuthenticatedKey }>();
      // Subscriptions: the key came in the graphql-ws connection payload (see app.module.ts).
      if (gql.apiKey) return { headers: {}, apiKey: gql.apiKey } as AuthedRequest;
      return gql.req ?? gql.reply?.request;
    }
    return context.switchToHttp().getRequest<AuthedRequest>();
  }

  async authenticate(request: AuthedRequest): Promise<AuthenticatedKey> {
    if (request.apiKey) return request.apiKey;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new CommonException(CommonErrorCode.Unauthenticated, 'Send an API key as "Authorization: Bearer <key>".', undefined, {
        'www-authenticate': 'Bearer realm="minewatch"',
      });
    }
    const key = await this.keys.authenticate(match[1]);
    if (!key) {
      throw new CommonException(CommonErrorCode.Unauthenticated, 'The API key is unknown or revoked.', undefined, {
        'www-authenticate': 'Bearer realm="minewatch", error="invalid_token"',
      });
    }
    request.apiKey = key;
    return key;
  }
}
