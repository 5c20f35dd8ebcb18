import { SetMetadata } from '@nestjs/common';
import type { Scope } from '#src/platform/auth/api-key.js';

export const SCOPE_KEY = 'minewatch:scope';
export const PUBLIC_KEY = 'minewatch:public';

/** The scope a route or resolver needs. Routes without @RequireScope or @Public are refused. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
/** Open without a key: health, docs, the GraphiQL page. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
