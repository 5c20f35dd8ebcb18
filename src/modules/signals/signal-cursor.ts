import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque paging cursors over (observedAt, id), newest first; shared by REST and GraphQL. */
export function encodeSignalCursor(s: { observedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([s.observedAt.toISOString(), s.id])).toString('base64url');
}

export function decodeSignalCursor(cursor: string): { observedAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const observedAt = new Date(at);
    if (Number.isNaN(observedAt.getTime()) || !UUID.test(id)) throw new Error('bad cursor');
    return { observedAt, id };
  } catch {
    throw new CommonException(CommonErrorCode.BadRequest, 'The cursor is not one this API returned.', [
      { field: 'cursor', message: 'invalid cursor' },
    ]);
  }
}
