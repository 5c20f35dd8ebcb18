import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextWindow } from '#src/modules/connectors-admin/fetchers/windows.js';

const now = new Date('2026-11-28T13:47:12Z');
const iso = (w: { start: Date; end: Date } | null) => (w ? [w.start.toISOString(), w.end.toISOString()] : null);

describe('connector windows', () => {
  it('a first run reaches back the backfill, to now minus the lag', () => {
    assert.deepEqual(iso(nextWindow(null, now, { lagMs: 5 * 60_000, granularity: 'instant', backfillDays: 35 })), [
      '2026-10-24T13:47:12.000Z',
      '2026-11-28T13:42:12.000Z',
    ]);
  });

  it('daily sources take whole days only: a day is fetched once it is complete (and its lag passed)', () => {
    assert.deepEqual(iso(nextWindow(null, now, { lagMs: 12 * 3_600_000, granularity: 'day', backfillDays: 35 })), [
      '2026-10-24T00:00:00.000Z',
      '2026-11-28T00:00:00.000Z',
    ]);
    assert.equal(
      nextWindow(new Date('2026-11-28T00:00:00Z'), now, { lagMs: 12 * 3_600_000, granularity: 'day', backfillDays: 35 }),
      null,
      'today is not complete',
    );
  });

  it('hourly sources end on the hour', () => {
    assert.deepEqual(
      iso(nextWindow(new Date('2026-11-28T10:00:00Z'), now, { lagMs: 10 * 60_000, granularity: 'hour', backfillDays: 35 })),
      ['2026-11-28T10:00:00.000Z', '2026-11-28T13:00:00.000Z'],
    );
  });

  it('windows follow each other without overlap or gap', () => {
    const first = nextWindow(null, now, { lagMs: 0, granularity: 'instant', backfillDays: 1 })!;
    const later = new Date(now.getTime() + 60_000);
    const second = nextWindow(first.end, later, { lagMs: 0, granularity: 'instant', backfillDays: 1 })!;
    assert.equal(second.start.getTime(), first.end.getTime());
    assert.equal(nextWindow(second.end, later, { lagMs: 0, granularity: 'instant', backfillDays: 1 }), null);
  });
});
