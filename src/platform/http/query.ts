import type { z } from 'zod';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';

/** Validates query parameters; a 400 problem names every bad parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  // Report the parameter itself: `status=OPEN,BAD` names `status`, not `status.1`.
  const errors = parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? '/'), message: i.message }));
  throw new CommonException(
    CommonErrorCode.BadRequest,
    `Invalid query parameter${errors.length > 1 ? 's' : ''}: ${errors.map((e) => e.field).join(', ')}.`,
    errors,
  );
}
