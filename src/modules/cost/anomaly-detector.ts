/**
 * MineWatch's own cost anomaly detector: a pure function of one daily cost series. No database, no
 * clock; the cost service feeds it the history it loaded and turns its verdicts into signals.
 *
 * The rule ("robust-weekly"), for a day t of a series:
 *
 * 1. History. The series must have at least `minHistoryDays` (21) days before t, counted from its
 *    first day with a row; days after that with no row cost 0. Three weeks give three values per
 *    weekday. Younger series are not judged (their spend has no "usual" yet; the account total,
 *    a series of its own, still catches a brand-new resource or service).
 * 2. Expected spend, the larger of two robust baselines over the last 8 weeks:
 *    - S, the median of the same weekday over up to 8 weeks (t-7, t-14, … t-56). Weekly seasonality
 *      (quiet weekends, weekend batch jobs) is compared like for like, and a short dip (holidays)
 *      moves a median of 8 weeks little, so the recovery after it is not a spike;
 *    - L, the same weekday of each of the last 4 weeks shifted by how much the level moved since
 *      then: x(t-7k) + (median of the last 14 days − median of the 7 days centred on t-7k), median
 *      over k. This follows steady growth (a series growing 2 %/day is ~16 % above the 8-week
 *      median but within a few percent of L), and adopts a lasting change of level after about a
 *      week, so a new workload stops being "anomalous" once it is the new normal.
 *    Taking the larger of the two is deliberately conservative: a day must stand out against both.
 *    A series that is mostly zero (usage on a few days) is judged against the median of its
 *    non-zero days older than a week instead of 0, so a job that ran before at that cost is not a
 *    spike.
 * 3. Scale: 1.4826 × the median absolute deviation of the last 28 days' residuals, each day
 *    against the median of the other days of its weekday (a robust standard deviation that a few
 *    spike days do not inflate), at least 5 % of the expected spend so that a perfectly flat
 *    series does not turn cents into alarms.
 * 4. Verdict: anomalous when score = (actual − expected) / scale ≥ `minScore` (4) and the impact
 *    actual − expected ≥ `minImpact` (in the series' currency).
 * 5. Monthly charges: when the same day of the previous month (the last day for the last day, ±1
 *    day) already stood at least minImpact above its own previous 14 days, the charge recurs
 *    monthly: that day's amount becomes the expected spend if it is larger, so only growth beyond
 *    last month's charge counts (with a scale of at least 20 % of that charge: it follows the
 *    month's usage, so it must grow by about 80 % to be reported). A day within two days of a month boundary whose previous month
 *    cannot be judged yet (not in the history, or with less than a week before it) is not judged:
 *    a month-end charge cannot be told from a spike.
 *
 * Median and MAD rather than mean and standard deviation because cost series are heavy-tailed: one
 * spike in the baseline window must not hide the next.
 */

export const DETECTOR_NAME = 'robust-weekly';

export interface DetectorOptions {
  /** Days of history (since the series began) a day needs before it is judged. */
  minHistoryDays: number;
  /** Smallest excess over the expected spend that is reported, in the series' currency. */
  minImpact: number;
  /** Robust z-score a day must reach. */
  minScore: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = { minHistoryDays: 21, minImpact: 50, minScore: 4 };

/** How far back the detector looks: 8 weeks of same-weekday values (and the month before, which is inside). */
export const LOOKBACK_DAYS = 56;

export interface DayAmount {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  amount: number;
}

export type Verdict =
  | 'anomalous'
  /** Fewer than minHistoryDays of history. */
  | 'insufficient-history'
  /** Near a month boundary with no previous month to compare with. */
  | 'month-boundary'
  /** The previous month had the same charge on the same day. */
  | 'recurring-monthly'
  | 'within-range';

export interface Evaluation {
  day: string;
  verdict: Verdict;
  actual: number;
  /** Expected spend; 0 when the day was not judged. */
  expected: number;
  /** actual − expected. */
  impact: number;
  /** (actual − expected) / scale, rounded to 2 decimals and capped at 999. */
  score: number;
  /** Days of history the baseline drew on (at most LOOKBACK_DAYS). */
  baselineDays: number;
}

// ---------------------------------------------------------------------------------------------
// Days as integers (days since 1970-01-01), so that t-7 is plain arithmetic.

const MS_PER_DAY = 86_400_000;

export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / MS_PER_DAY);
}

export function dayString(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

function monthInfo(n: number): { year: number; month: number; dom: number; length: number } {
  const d = new Date(n * MS_PER_DAY);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  return { year, month, dom: d.getUTCDate(), length: new Date(Date.UTC(year, month + 1, 0)).getUTCDate() };
}

// ---------------------------------------------------------------------------------------------
// Robust statistics

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

// Scales the MAD to a standard deviation for normally distributed noise.
const MAD_TO_SIGMA = 1.4826;
const RELATIVE_SCALE_FLOOR = 0.05;
const SPARSE_SCALE_FLOOR = 0.1;
const MONTHLY_SCALE_FLOOR = 0.2;
// Below this the series costs nothing worth a division.
const EPSILON = 1e-9;
const MAX_SCORE = 999;

// ---------------------------------------------------------------------------------------------

/** A series as the detector reads it: amounts by day number, unknown before its first day. */
class Series {
  private readonly amounts = new Map<number, number>();
  readonly first: number;

  constructor(points: readonly DayAmount[], firstDay?: string) {
    let first = Number.POSITIVE_INFINITY;
    for (const p of points) {
      const n = dayNumber(p.day);
      this.amounts.set(n, (this.amounts.get(n) ?? 0) + p.amount);
      first = Math.min(first, n);
    }
    this.first = firstDay === undefined ? first : Math.min(first, dayNumber(firstDay));
  }

  /** The amount of day n; undefined before the series began (unknown, not zero). */
  at(n: number): number | undefined {
    if (n < this.first) return undefined;
    return this.amounts.get(n) ?? 0;
  }

  /** Known amounts of the days [from, to]. */
  range(from: number, to: number): number[] {
    const out: number[] = [];
    for (let n = Math.max(from, this.first); n <= to; n++) out.push(this.at(n)!);
    return out;
  }
}

function judge(series: Series, t: number, options: DetectorOptions): Evaluation {
  const actual = series.at(t) ?? 0;
  const day = dayString(t);
  const history = t - series.first;
  const baselineDays = Math.max(0, Math.min(history, LOOKBACK_DAYS));
  const skip = (verdict: Verdict): Evaluation => ({ day, verdict, actual, expected: 0, impact: 0, score: 0, baselineDays });
  if (history < options.minHistoryDays) return skip('insufficient-history');
  const start = t - baselineDays;

  // S: same weekday over up to 8 weeks.
  const sameWeekday: number[] = [];
  for (let k = 1; t - 7 * k >= start; k++) sameWeekday.push(series.at(t - 7 * k)!);
  const s = median(sameWeekday);

  // L: the same weekday of each of the last 4 weeks, shifted by the change of level since.
  const recent = median(series.range(t - 14, t - 1));
  const shifted: number[] = [];
  for (let k = 1; k <= 4; k++) {
    const centre = t - 7 * k;
    if (centre - 3 < start) break;
    shifted.push(series.at(centre)! + (recent - median(series.range(centre - 3, centre + 3))));
  }
  const l = shifted.length > 0 ? median(shifted) : s;

  const window = series.range(start, t - 1);
  let expected = Math.max(s, l, 0);
  // Mostly-zero series (usage on a few days): a day at a level the series often reaches is not a
  // spike, and the spread of its non-zero days is the noise to beat.
  // Only days older than a week count as "seen before": a new spend that started a few days ago
  // keeps being reported, as it would on a dense series.
  const nonZero = series.range(start, t - 8).filter((v) => v > 0);
  const sparse = window.filter((v) => v !== 0).length * 2 < window.length;
  if (sparse) expected = Math.max(expected, median(nonZero));
  // Few non-zero days make a small sample: their MAD alone can be tiny by chance.
  const sparseScale = sparse ? Math.max(MAD_TO_SIGMA * mad(nonZero), SPARSE_SCALE_FLOOR * median(nonZero)) : 0;

  // Scale: MAD of the last 28 days' residuals, each day against the median of the other days of its
  // weekday in those 4 weeks (leaving the day itself out, which would pull its residual to 0).
  const scaleStart = Math.max(start, t - 28);
  const residuals: number[] = [];
  for (let n = scaleStart; n < t; n++) {
    const others: number[] = [];
    for (let m = n - 21; m <= n + 21; m += 7) if (m !== n && m >= scaleStart && m < t) others.push(series.at(m)!);
    if (others.length > 0) residuals.push(series.at(n)! - median(others));
  }
  const scaleOf = (e: number) => Math.max(MAD_TO_SIGMA * mad(residuals), sparseScale, RELATIVE_SCALE_FLOOR * e, EPSILON);

  let impact = actual - expected;
  let score = impact / scaleOf(expected);
  const evaluation = (verdict: Verdict): Evaluation => ({
    day,
    verdict,
    actual,
    expected,
    impact,
    score: Math.round(Math.min(score, MAX_SCORE) * 100) / 100,
    baselineDays,
  });
  if (score < options.minScore || impact < options.minImpact) return evaluation('within-range');

  // Monthly charges.
  const month = recurringMonthly(series, t, options);
  if (month === 'unknown') return evaluation('month-boundary');
  if (month !== null) {
    expected = Math.max(expected, month);
    impact = actual - expected;
    // A monthly charge follows the month's usage: it varies more from month to month than a day
    // from the next.
    score = impact / Math.max(scaleOf(expected), MONTHLY_SCALE_FLOOR * month);
    if (score < options.minScore || impact < options.minImpact) return evaluation('recurring-monthly');
  }
  return evaluation('anomalous');
}

/**
 * The amount of the matching day of the previous month when that day carried a charge of its own
 * (at least minImpact above the median of its previous 14 days), null when it did not, and
 * `unknown` when t is near a month boundary and no matching day can be judged yet (it is not in the
 * history, or has less than a week of history before it).
 */
function recurringMonthly(series: Series, t: number, options: DetectorOptions): number | 'unknown' | null {
  const { dom, length } = monthInfo(t);
  const firstOfMonth = t - (dom - 1);
  const previousLength = monthInfo(firstOfMonth - 1).length;
  const matching = dom === length ? firstOfMonth - 1 : firstOfMonth - previousLength + Math.min(dom, previousLength) - 1;
  let best: number | null = null;
  let judgeable = false;
  for (const c of [matching - 1, matching, matching + 1]) {
    const amount = series.at(c);
    const before = series.range(c - 14, c - 1);
    if (amount === undefined || before.length < 7) continue;
    judgeable = true;
    if (amount - median(before) >= options.minImpact && (best === null || amount > best)) best = amount;
  }
  const nearBoundary = dom <= 2 || dom >= length - 1;
  if (!judgeable && nearBoundary) return 'unknown';
  return best;
}

/**
 * Judges each of `days` of the series `points` (any order; several points of one day are summed).
 * `firstDay`, when given, is the series' first day with a row when `points` hold only a window of it.
 */
export function evaluateSeries(
  points: readonly DayAmount[],
  days: readonly string[],
  options: DetectorOptions = DEFAULT_DETECTOR_OPTIONS,
  firstDay?: string,
): Evaluation[] {
  const series = new Series(points, firstDay);
  return days.map((d) => judge(series, dayNumber(d), options));
}
