import { DAY_MS, HOUR_MS, type Granularity, type TimeWindow } from '#src/modules/connectors-admin/fetchers/fetcher.js';

function floorTo(date: Date, granularity: Granularity): Date {
  const unit = granularity === 'day' ? DAY_MS : granularity === 'hour' ? HOUR_MS : 1000;
  return new Date(Math.floor(date.getTime() / unit) * unit);
}

/**
 * The next window of a stream: from where the last one ended (or, on a first run, `backfillDays`
 * back) to `now − lag`, cut on whole hours or days for sources that report per hour or day. Null
 * when nothing new is complete yet: the next tick will find it. Windows never overlap, so no
 * window is fetched twice.
 */
export function nextWindow(
  watermark: Date | null,
  now: Date,
  options: { lagMs: number; granularity: Granularity; backfillDays: number },
): TimeWindow | null {
  const end = floorTo(new Date(now.getTime() - options.lagMs), options.granularity);
  // A first run of daily data fetches backfillDays complete days, however far its source lags.
  const backfillStart =
    options.granularity === 'day'
      ? new Date(end.getTime() - options.backfillDays * DAY_MS)
      : floorTo(new Date(now.getTime() - options.backfillDays * DAY_MS), options.granularity);
  const start = watermark ?? backfillStart;
  return end.getTime() > start.getTime() ? { start, end } : null;
}
