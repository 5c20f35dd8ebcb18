import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import type { CostRow, Signal } from '#src/connectors/signal.js';
import {
  DEFAULT_DETECTOR_OPTIONS,
  dayNumber,
  dayString,
  evaluateSeries,
  LOOKBACK_DAYS,
  type DetectorOptions,
} from '#src/modules/cost/anomaly-detector.js';
import { CostSeriesRepository, type StoredCostAnomaly, type TouchedSeries } from '#src/modules/cost/cost-series.repository.js';
import { CostAggregator, isNestedIn, SERIES_LEVELS, type SeriesIdentity, type SeriesLevel } from '#src/modules/cost/cost-series.js';
import {
  coveringNative,
  DETECTOR_SOURCE,
  detectorFingerprint,
  detectorSignal,
  detectorSourceId,
  type DetectorStatus,
  type NativeAnomaly,
} from '#src/modules/cost/cost-signals.js';

// Series judged per round trip: bounded memory (8 weeks of days each) whatever the request's size.
const PAGE = 500;

const isNative = (s: { source: string }) => s.source !== DETECTOR_SOURCE;

function nativeOf(s: StoredCostAnomaly | Signal): NativeAnomaly {
  const service = s.attributes['service'];
  return {
    source: s.source,
    sourceId: s.sourceId,
    provider: s.provider,
    accountId: s.accountId,
    region: s.region,
    service: typeof service === 'string' && service !== '' ? service : null,
    observedAt: new Date(s.observedAt),
    observedUntil: new Date(s.observedUntil),
  };
}

/** The series a stored detector signal is about, as far as the supersession rule needs it. */
function seriesOfStored(s: StoredCostAnomaly): SeriesIdentity {
  const a = s.attributes;
  return {
    key: String(a['seriesKey'] ?? ''),
    parentKey: null,
    level: (a['level'] as SeriesLevel | undefined) ?? 'service',
    provider: s.provider,
    accountId: s.accountId,
    currency: '',
    service: typeof a['service'] === 'string' ? a['service'] : null,
    region: s.region,
    resourceId: null,
  };
}

/**
 * Cost series and MineWatch's own cost anomaly detector, inside the caller's ingest transaction:
 * cost rows are written batch by batch with `write`; once a request's rows are all in, `detect`
 * judges every series-day the request touched and hands the resulting `cost_anomaly` signals to
 * the ingestion module's signal writer, in the same transaction. A committed request therefore
 * always has its anomalies; a rolled-back one has neither.
 *
 * Not counting money twice:
 * - a series-day that a native anomaly (AWS Cost Anomaly Detection, GCP Cloud Billing anomalies)
 *   covers (same account and day, same service and region where both name one; see
 *   `coveringNative`) gets no signal of its own; an earlier one becomes `superseded`, and so does
 *   one stored before the native anomaly arrives (`supersede`, called when natives are stored);
 * - a service or account total that stands out only because of its parts' anomalies does not
 *   repeat them: its signal carries its excess minus the cost its resources' (or services')
 *   anomalies of that day carry, and none when that is below the minimum impact. Parts are judged
 *   before totals for that reason.
 */
@Injectable()
export class CostService {
  private readonly logger = new Logger(CostService.name);
  private readonly options: DetectorOptions;

  constructor(
    private readonly repo: CostSeriesRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, minImpact: config.costDetector.minImpact };
  }

  /**
   * Adds one batch of a request's cost rows (or their sums, for a streamed request that summed
   * them as they came) to the daily series; returns how many rows it held.
   */
  async write(tx: EntityManager, ingestId: string, rows: readonly CostRow[] | CostAggregator): Promise<number> {
    const sums = rows instanceof CostAggregator ? rows : new CostAggregator().add(rows);
    const count = sums.rows;
    if (count === 0) return 0;
    await this.repo.write(tx, ingestId, sums.take());
    return count;
  }

  /**
   * Judges every series-day this transaction wrote and passes the new or changed detector signals
   * to `emit` (which stores them), parts before totals. Returns how many it emitted.
   */
  async detect(tx: EntityManager, ingestId: string, emit: (signals: Signal[]) => Promise<void>): Promise<number> {
    let revision: number | null = null;
    const nextRevision = async () => (revision ??= await this.repo.nextRevision(tx));
    let emitted = 0;
    let judged = 0;
    for (const level of SERIES_LEVELS) {
      let after = '';
      for (;;) {
        const page = await this.repo.touched(tx, level, after, PAGE);
        if (page.length === 0) break;
        after = page.at(-1)!.key;
        judged += page.length;
        const signals = await this.judge(tx, page, nextRevision);
        if (signals.length > 0) {
          await emit(signals);
          emitted += signals.length;
        }
      }
    }
    if (judged > 0) this.logger.log({ ingestId, series: judged, signals: emitted }, 'cost series judged');
    return emitted;
  }

  private async judge(tx: EntityManager, page: readonly TouchedSeries[], nextRevision: () => Promise<number>): Promise<Signal[]> {
    const windows = page.map((s) => ({ key: s.key, from: dayString(dayNumber(s.touchedFrom) - LOOKBACK_DAYS), to: s.touchedTo }));
    const history = await this.repo.history(tx, windows);
    const from = page.reduce((min, s) => (s.touchedFrom < min ? s.touchedFrom : min), page[0]!.touchedFrom);
    const to = page.reduce((max, s) => (s.touchedTo > max ? s.touchedTo : max), page[0]!.touchedTo);
    const stored = await this.repo.costAnomalies(tx, page, from, to);
    const natives = stored.filter(isNative).map(nativeOf);
    const mine = new Map(stored.filter((s) => !isNative(s)).map((s) => [s.sourceId, s]));
    const active = [...mine.values()].filter((s) => s.attributes['status'] === 'active' && s.cost !== null);

    const out: Signal[] = [];
    for (const series of page) {
      const points = history.get(series.key) ?? [];
      const usage = new Map(points.map((p) => [p.day, p.usageType]));
      const days: string[] = [];
      for (let n = dayNumber(series.touchedFrom); n <= dayNumber(series.touchedTo); n++) days.push(dayString(n));
      for (const evaluation of evaluateSeries(points, days, this.options, series.firstDay)) {
        const sourceId = detectorSourceId(series.key, evaluation.day);
        const before = mine.get(sourceId);
        let status: DetectorStatus;
        let cost = 0;
        let carriedByParts = 0;
        let supersededBy: string | null = null;
        if (evaluation.verdict === 'anomalous') {
          const native = coveringNative(series, evaluation.day, natives);
          carriedByParts = active
            .filter(
              (s) =>
                isNestedIn(String(s.attributes['seriesKey'] ?? ''), series.key) && s.observedAt.toISOString().startsWith(evaluation.day),
            )
            .reduce((sum, s) => sum + s.cost!, 0);
          cost = evaluation.impact - carriedByParts;
          if (native) {
            status = 'superseded';
            supersededBy = `${native.source}/${native.sourceId}`;
          } else status = cost >= this.options.minImpact ? 'active' : 'withdrawn';
        } else status = 'withdrawn';
        // Nothing to say about a day that never had a signal and has none now.
        if (status !== 'active' && (!before || before.attributes['status'] !== 'active')) continue;
        const signal = detectorSignal({
          series,
          evaluation,
          usageType: usage.get(evaluation.day) ?? null,
          status,
          cost,
          carriedByParts,
          supersededBy,
          revision: 0,
        });
        // A re-run over the same data changes nothing: same fingerprint, no new version.
        if (
          before &&
          detectorFingerprint(signal) === detectorFingerprint({ ...before, cost: before.cost === null ? null : { amount: before.cost } })
        )
          continue;
        signal.sourceVersion = String(await nextRevision()).padStart(15, '0');
        out.push(signal);
      }
    }
    return out;
  }

  /**
   * Native anomalies were just stored: the detector's active signals they cover become superseded,
   * whichever arrived first. Returns how many changed.
   */
  async supersede(tx: EntityManager, signals: readonly Signal[]): Promise<number> {
    const natives = signals.filter((s) => s.kind === 'cost_anomaly' && isNative(s));
    if (natives.length === 0) return 0;
    const from = natives.reduce((min, s) => (s.observedAt < min ? s.observedAt : min), natives[0]!.observedAt).slice(0, 10);
    const to = natives.reduce((max, s) => (s.observedUntil > max ? s.observedUntil : max), natives[0]!.observedUntil).slice(0, 10);
    const stored = await this.repo.costAnomalies(tx, natives, from, to);
    const views = natives.map(nativeOf);
    const changes: Array<{ id: string; title: string; supersededBy: string }> = [];
    for (const s of stored) {
      if (isNative(s) || s.attributes['status'] !== 'active') continue;
      const native = coveringNative(seriesOfStored(s), s.observedAt.toISOString().slice(0, 10), views);
      if (!native) continue;
      const by = `${native.source}/${native.sourceId}`;
      changes.push({
        id: s.id,
        title: `Cost anomaly (${String(s.attributes['service'] ?? 'all services')}) reported by ${native.source}; counted there`,
        supersededBy: by,
      });
    }
    if (changes.length === 0) return 0;
    await this.repo.markSuperseded(tx, changes, await this.repo.nextRevision(tx));
    this.logger.log({ signals: changes.length }, 'detector cost anomalies superseded by native ones');
    return changes.length;
  }
}
