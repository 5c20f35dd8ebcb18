import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { dayNumber, dayString, evaluateSeries, type DayAmount, type Evaluation } from '#src/modules/cost/anomaly-detector.js';

/** Deterministic noise (mulberry32), so every run sees the same series. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `days` daily amounts from `start`; `amount(i, day)` gives day i's cost before noise of ±`noise`. */
function series(start: string, days: number, amount: (i: number, day: string) => number, noise = 0.05, seed = 7): DayAmount[] {
  const rnd = random(seed);
  const first = dayNumber(start);
  return Array.from({ length: days }, (_, i) => {
    const day = dayString(first + i);
    return { day, amount: Math.round(amount(i, day) * (1 + noise * (2 * rnd() - 1)) * 100) / 100 };
  });
}

const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();
const isWeekend = (day: string) => weekday(day) === 0 || weekday(day) === 6;
const dom = (day: string) => Number(day.slice(8, 10));
const isLastOfMonth = (day: string) => dayString(dayNumber(day) + 1).slice(8, 10) === '01';

/** Judges every day from the 22nd on (every day the detector may judge). */
function everyDay(points: DayAmount[]): Evaluation[] {
  return evaluateSeries(
    points,
    points.slice(21).map((p) => p.day),
  );
}

const anomalies = (evaluations: Evaluation[]) => evaluations.filter((e) => e.verdict === 'anomalous');

interface Case {
  name: string;
  points: DayAmount[];
  /** Days that must be anomalous, with the impact expected to within `tolerance`. */
  fires: Array<{ day: string; impact: number; tolerance: number }>;
}

// A known spike on top of each kind of ordinary series: exactly that day fires, with about the injected excess.
const spikes: Case[] = [
  {
    name: 'flat series with noise, one GPU day',
    points: series('2026-09-01', 50, (i) => (i === 45 ? 100 + 300 : 100)),
    fires: [{ day: '2026-10-16', impact: 300, tolerance: 15 }],
  },
  {
    name: 'quiet weekends, a Saturday at weekday level plus more',
    points: series('2026-09-01', 50, (i, d) => (i === 46 ? 200 : isWeekend(d) ? 30 : 100)),
    // 2026-10-17 is a Saturday: expected ~30.
    fires: [{ day: '2026-10-17', impact: 170, tolerance: 10 }],
  },
  {
    name: 'steady growth of 2 %/day, then a day at three times the trend',
    points: series('2026-09-01', 70, (i) => 100 * 1.02 ** i * (i === 65 ? 3 : 1)),
    fires: [{ day: '2026-11-05', impact: 2 * 100 * 1.02 ** 65, tolerance: 200 }],
  },
  {
    name: 'a spike right after a holiday dip',
    points: series('2026-11-01', 75, (i, d) => {
      const n = dayNumber(d);
      if (n >= dayNumber('2026-12-22') && n <= dayNumber('2026-12-31')) return 40;
      return d === '2027-01-05' ? 100 + 500 : 100;
    }),
    fires: [{ day: '2027-01-05', impact: 500, tolerance: 40 }],
  },
  {
    name: 'a service that cost nothing for a month starts costing 800 a day',
    points: series('2026-09-01', 40, (i) => (i >= 35 ? 800 : 0)),
    // Reported every day of its first week, like a level shift of a busy series.
    fires: ['2026-10-06', '2026-10-07', '2026-10-08', '2026-10-09', '2026-10-10'].map((day) => ({ day, impact: 800, tolerance: 45 })),
  },
  {
    name: 'a monthly charge three times last month’s: only the growth counts',
    points: series('2026-08-01', 75, (i, d) => 100 + (dom(d) === 1 ? (d === '2026-10-01' ? 9000 : 3000) : 0)),
    fires: [{ day: '2026-10-01', impact: 6000, tolerance: 600 }],
  },
];

// Ordinary series that must not fire on any day.
const quiet: Array<{ name: string; points: DayAmount[] }> = [
  { name: 'steady growth of 2 %/day for three months', points: series('2026-07-01', 95, (i) => 100 * 1.02 ** i) },
  {
    name: 'steady growth of 2 %/day with weekends at 30 %',
    points: series('2026-07-01', 95, (i, d) => 100 * 1.02 ** i * (isWeekend(d) ? 0.3 : 1)),
  },
  {
    name: 'a service billed 3,000 on the first of each month on top of 100 a day',
    points: series('2026-06-01', 130, (i, d) => 100 + (dom(d) === 1 ? 3000 : 0)),
  },
  {
    name: 'a monthly charge on the last day of each month, and nothing else',
    points: series('2026-06-01', 130, (i, d) => (isLastOfMonth(d) ? 2500 : 0), 0.02),
  },
  { name: 'weekdays 100, weekends 30', points: series('2026-09-01', 70, (i, d) => (isWeekend(d) ? 30 : 100)) },
  { name: 'weekend batch jobs at three times the weekday spend', points: series('2026-09-01', 70, (i, d) => (isWeekend(d) ? 900 : 300)) },
  {
    name: 'a holiday dip to 40 % for ten days, then recovery',
    points: series('2026-11-01', 75, (i, d) => {
      const n = dayNumber(d);
      return n >= dayNumber('2026-12-22') && n <= dayNumber('2026-12-31') ? 40 : 100;
    }),
  },
  {
    name: 'a three-week shutdown, then recovery',
    points: series('2026-10-01', 90, (i, d) => {
      const n = dayNumber(d);
      return n >= dayNumber('2026-12-10') && n <= dayNumber('2026-12-30') ? 20 : 400;
    }),
  },
  { name: 'a doubling too small to matter (10 → 20 a day)', points: series('2026-09-01', 50, (i) => (i >= 45 ? 20 : 10)) },
  { name: 'a batch job of about 200 every third day', points: series('2026-09-01', 70, (i) => (i % 3 === 0 ? 200 : 0), 0.2) },
  { name: 'noise of ±20 % around 1,000', points: series('2026-09-01', 70, () => 1000, 0.2, 11) },
];

describe('cost anomaly detector (robust-weekly)', () => {
  for (const c of spikes) {
    it(`fires on a known spike: ${c.name}`, () => {
      const found = anomalies(everyDay(c.points));
      assert.deepEqual(
        found.map((e) => e.day),
        c.fires.map((f) => f.day),
        `anomalous days: ${JSON.stringify(found)}`,
      );
      for (const f of c.fires) {
        const e = found.find((x) => x.day === f.day)!;
        assert.ok(Math.abs(e.impact - f.impact) <= f.tolerance, `${f.day}: impact ${e.impact} is not ${f.impact} ± ${f.tolerance}`);
        assert.ok(e.score >= 4);
        assert.equal(Math.round((e.actual - e.expected) * 1e6), Math.round(e.impact * 1e6));
      }
    });
  }

  for (const c of quiet) {
    it(`stays quiet: ${c.name}`, () => {
      const found = anomalies(everyDay(c.points));
      assert.deepEqual(found, [], `no day is anomalous`);
    });
  }

  it('does not judge a series younger than three weeks', () => {
    const points = series('2026-10-01', 15, (i) => (i === 14 ? 5000 : 100));
    const [e] = evaluateSeries(points, ['2026-10-15']);
    assert.equal(e!.verdict, 'insufficient-history');
  });

  it('counts the history from the first day of the series when the points hold only the recent window', () => {
    // The series began in June; the loaded window (the last 8 weeks) holds no row but the spike.
    const points: DayAmount[] = [{ day: '2026-10-30', amount: 5000 }];
    assert.equal(evaluateSeries(points, ['2026-10-30'])[0]!.verdict, 'insufficient-history');
    const [e] = evaluateSeries(points, ['2026-10-30'], undefined, '2026-06-01');
    assert.equal(e!.verdict, 'anomalous');
    assert.equal(e!.baselineDays, 56);
  });

  it('does not judge a month-end charge before it has seen the previous month', () => {
    // Rows start 2026-09-05: the charge of 2026-10-01 has no 2026-09-01 to compare with.
    const points = series('2026-09-05', 30, (i, d) => 100 + (dom(d) === 1 ? 3000 : 0));
    assert.equal(evaluateSeries(points, ['2026-10-01'])[0]!.verdict, 'month-boundary');
  });

  it('reports an ongoing campaign every day for its first days, then takes a lasting level as the new normal', () => {
    const points = series('2026-09-01', 75, (i) => (i >= 45 ? 1100 : 100));
    const verdicts = evaluateSeries(
      points,
      points.slice(45).map((p) => p.day),
    ).map((e) => e.verdict);
    assert.deepEqual(verdicts.slice(0, 5), ['anomalous', 'anomalous', 'anomalous', 'anomalous', 'anomalous']);
    assert.deepEqual(verdicts.slice(-10), Array(10).fill('within-range'));
  });

  it('treats missing days after the first row as zero cost, and sums points of one day', () => {
    const points: DayAmount[] = [
      { day: '2026-09-01', amount: 100 },
      { day: '2026-10-01', amount: 300 },
      { day: '2026-10-01', amount: 200 },
    ];
    const [e] = evaluateSeries(points, ['2026-10-01']);
    assert.equal(e!.actual, 500);
    // 29 zero days and one of 100: a mostly-zero series, judged against its non-zero days.
    assert.equal(e!.expected, 100);
    assert.equal(e!.baselineDays, 30);
  });
});
