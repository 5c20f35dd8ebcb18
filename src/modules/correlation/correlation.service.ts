import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { assess, type EvidenceItem, severityRank } from '#src/modules/correlation/assessment.js';
import type { IncidentContext, Link, RuleOptions, SignalView } from '#src/modules/correlation/correlation.types.js';
import { buildContext, extendContext, spanOf } from '#src/modules/correlation/incident-context.js';
import { MINING_FINDING_WEIGHT, miningFindingReason, opensIncident } from '#src/modules/correlation/rules/mining-finding.rule.js';
import { RULES } from '#src/modules/correlation/rules/index.js';
import { SIGNALS_CHANNEL } from '#src/modules/ingestion/ingestion.service.js';
import type { IncidentEntity } from '#src/modules/incidents/incident.entity.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import type { SignalEntity } from '#src/modules/signals/signal.entity.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import { suppressedBy, type SuppressionRuleView } from '#src/modules/correlation/suppression.js';
import { SuppressionsService } from '#src/modules/suppressions/suppressions.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

// One correlator at a time across all replicas: incidents grow by reading each other's evidence.
const CORRELATION_LOCK = '5064170541384957001';
const BATCH = 500;
const ACTOR = 'correlation-engine';

export function toView(s: SignalEntity): SignalView {
  return {
    id: s.id,
    source: s.source,
    sourceId: s.sourceId,
    kind: s.kind,
    provider: s.provider,
    accountId: s.accountId,
    region: s.region,
    observedAt: s.observedAt,
    observedUntil: s.observedUntil,
    severity: s.severity,
    title: s.title,
    mining: s.mining,
    resources: s.resources,
    principal: s.principal,
    cost: s.costAmount === null ? null : { amount: s.costAmount, currency: s.costCurrency ?? 'USD' },
    attributes: s.attributes,
    linkKeys: s.linkKeys,
  };
}

export function firstLink(s: SignalView, ctx: IncidentContext, options: RuleOptions): Link | null {
  for (const rule of RULES) {
    const link = rule(s, ctx, options);
    if (link) return link;
  }
  return null;
}

interface BatchState {
  touched: Map<string, { opened: boolean; before: IncidentEntity | null }>;
  attached: Set<string>;
  rules: SuppressionRuleView[];
  /** Incidents as the rules see them, built once per batch and extended as evidence is added. */
  contexts: Map<string, IncidentContext>;
  /** Signals of this batch not yet judged. */
  unprocessed: Set<string>;
  /** The incident holding each signal of the batch when the batch began (newer versions of known items). */
  owners: Map<string, { id: string; active: boolean }>;
}

@Injectable()
export class CorrelationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CorrelationService.name);
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly incidents: IncidentsService,
    private readonly signals: SignalsRepository,
    private readonly metrics: MetricsService,
    private readonly suppressions: SuppressionsService,
  ) {}

  private get options(): RuleOptions {
    return { windowMs: this.config.correlation.windowHours * 3_600_000 };
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    const url = (this.ds.options as { url?: string }).url;
    this.listener = new pg.Client({ connectionString: url, application_name: 'minewatch-correlation-listener' });
    this.listener.on('notification', () => this.kick());
    // A lost listener connection is not fatal: the poll below still finds pending signals.
    this.listener.on('error', (error) => this.logger.warn(`signal listener lost: ${error.message}`));
    await this.listener.connect();
    await this.listener.query(`LISTEN ${SIGNALS_CHANNEL}`);
    this.timer = setInterval(() => this.kick(), this.config.correlation.pollMs);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
  }

  /** Starts a drain unless one runs; a kick during a drain makes it run once more. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'correlation failed; pending signals stay pending and are retried');
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Correlates every pending signal; returns how many were read. Safe to call from any replica. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.processBatch();
      if (n === 0) return total;
      total += n;
    }
  }

  private async processBatch(): Promise<number> {
    const started = Date.now();
    const result = await this.ds.transaction(async (tx) => {
      // Waits for a correlator on another replica to finish its batch, then reads what is left.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [CORRELATION_LOCK]);
      const pending = await this.signals.claimPending(tx, BATCH);
      if (pending.length === 0) return 0;
      const ids = pending.map((p) => p.id);
      const state: BatchState = {
        touched: new Map(),
        attached: new Set(),
        rules: await this.suppressions.active(tx),
        contexts: new Map(),
        unprocessed: new Set(ids),
        owners: await this.incidents.incidentsOfSignals(tx, ids),
      };
      // Marked up front in one statement; until its turn a signal stays in `unprocessed`, which
      // growing incidents skip, so each one is judged (suppressed or not) before anything joins it.
      await this.signals.markCorrelated(tx, ids);
      for (const entity of pending) {
        const view = toView(entity);
        const rule = suppressedBy(state.rules, view);
        if (rule) await this.suppressions.markSuppressed(tx, view.id, rule);
        else await this.correlateOne(tx, view, state);
        state.unprocessed.delete(view.id);
      }
      await this.reassess(tx, state);
      return pending.length;
    });
    if (result > 0) {
      this.metrics.correlationSeconds.observe((Date.now() - started) / 1000);
      this.metrics.correlatedSignals.inc(result);
      this.logger.log({ signals: result, ms: Date.now() - started }, 'correlated');
    }
    return result;
  }

  private async touch(tx: EntityManager, state: BatchState, id: string, opened = false): Promise<void> {
    if (state.touched.has(id)) return;
    state.touched.set(id, { opened, before: opened ? null : await this.incidents.findForUpdate(tx, id) });
  }

  private async evidenceItems(tx: EntityManager, incidentId: string): Promise<EvidenceItem[]> {
    const rows = await this.incidents.evidenceIn(tx, [incidentId]);
    return rows.map((r) => ({ signal: toView(r.signal), link: { rule: r.rule, weight: r.weight, reason: r.reason } }));
  }

  private async ctxOf(tx: EntityManager, state: BatchState, incidentId: string): Promise<IncidentContext> {
    let ctx = state.contexts.get(incidentId);
    if (!ctx) {
      ctx = buildContext((await this.evidenceItems(tx, incidentId)).map((e) => e.signal));
      state.contexts.set(incidentId, ctx);
    }
    return ctx;
  }

  /** Adds evidence; says whether the incident now reaches further in accounts or time. */
  private async attach(tx: EntityManager, state: BatchState, incidentId: string, s: SignalView, link: Link): Promise<boolean> {
    await this.incidents.addEvidence(tx, incidentId, s.id, link);
    state.attached.add(s.id);
    const ctx = state.contexts.get(incidentId);
    if (!ctx) return true;
    const before = { accounts: ctx.accounts.size, ...spanOf(ctx) };
    extendContext(ctx, s);
    const after = spanOf(ctx);
    return ctx.accounts.size !== before.accounts || after.from < before.from || after.to > before.to;
  }

  private async correlateOne(tx: EntityManager, s: SignalView, state: BatchState): Promise<void> {
    if (state.attached.has(s.id)) return;
    const owner = state.owners.get(s.id);
    if (owner) {
      // A newer version of a signal already in an incident: its incident may now reach further.
      // Evidence of a closed incident stays where the analyst closed it.
      if (owner.active) {
        await this.touch(tx, state, owner.id);
        await this.grow(tx, owner.id, state, null);
      }
      return;
    }
    const w = this.options.windowMs;
    const candidates = await this.incidents.findLinkCandidates(
      tx,
      s.linkKeys,
      { provider: s.provider, accountId: s.accountId },
      { from: new Date(s.observedAt.getTime() - w), to: new Date(s.observedUntil.getTime() + w) },
      new Date(Date.now() - w),
    );
    const linked: Array<{ incident: IncidentEntity; link: Link }> = [];
    for (const candidate of candidates) {
      const link = firstLink(s, await this.ctxOf(tx, state, candidate.id), this.options);
      if (link) linked.push({ incident: candidate, link });
    }
    const live = linked.filter((l) => l.incident.status !== 'RESOLVED' && l.incident.status !== 'FALSE_POSITIVE');
    const [target, ...others] = live.length > 0 ? live : linked;
    if (target) {
      const { incident } = target;
      if (incident.status === 'RESOLVED' && opensIncident(s)) {
        await this.incidents.reopen(tx, incident.id, `reopened: ${miningFindingReason(s)}`, ACTOR);
      }
      // Late cost or metric data still lands on a closed incident (its cost impact grows); a false
      // positive stays one, with the new evidence visible in its timeline.
      await this.touch(tx, state, incident.id);
      const widened = await this.attach(tx, state, incident.id, s, target.link);
      for (const other of others) await this.merge(tx, other.incident.id, incident.id, state);
      // Only what this signal brings can link anything new, unless a merge reshaped the incident.
      if (incident.status !== 'FALSE_POSITIVE')
        await this.grow(tx, incident.id, state, others.length > 0 ? null : { signals: [s], widened });
      return;
    }
    if (opensIncident(s)) {
      const link: Link = { rule: 'mining-finding', weight: MINING_FINDING_WEIGHT, reason: miningFindingReason(s) };
      const id = await this.incidents.open(tx, assess([{ signal: s, link }]), s.id, link);
      const related = await this.incidents.latestClosedSharing(tx, s.linkKeys);
      if (related) await this.incidents.setRelated(tx, id, related);
      await this.touch(tx, state, id, true);
      state.attached.add(s.id);
      state.contexts.set(id, buildContext([s]));
      await this.grow(tx, id, state, null);
    }
  }

  private async merge(tx: EntityManager, fromId: string, intoId: string, state: BatchState): Promise<void> {
    if (fromId === intoId) return;
    await this.incidents.lock(tx, [fromId, intoId]);
    await this.incidents.merge(tx, fromId, intoId, ACTOR);
    state.touched.delete(fromId);
    state.contexts.delete(fromId);
    state.contexts.delete(intoId);
    this.logger.log({ from: fromId, into: intoId }, 'incidents merged');
  }

  /**
   * Pulls in every stored signal that links to the incident, repeating until nothing more links:
   * a finding brings in the RunInstances that launched its instance, which brings in the key's
   * other launches, which bring in their findings and CPU metrics. Order of arrival does not matter.
   */
  private async grow(
    tx: EntityManager,
    incidentId: string,
    state: BatchState,
    frontier: { signals: SignalView[]; widened: boolean } | null,
  ): Promise<void> {
    const w = this.options.windowMs;
    let front = frontier;
    for (let round = 0; round < 50; round++) {
      const ctx = await this.ctxOf(tx, state, incidentId);
      const span = spanOf(ctx);
      const all = new Set([...ctx.resourceKeys, ...ctx.accessKeys, ...ctx.launchers]);
      // A frontier searches by the keys its signals added; the whole incident is searched only
      // when it is new, merged or re-read. That keeps a 10,000-signal incident cheap to extend.
      const keys = front ? [...new Set(front.signals.flatMap((f) => f.linkKeys))].filter((k) => all.has(k)) : [...all];
      const accounts =
        !front || front.widened
          ? [...ctx.accounts].map((a) => {
              const i = a.indexOf(':');
              return { provider: a.slice(0, i), accountId: a.slice(i + 1) };
            })
          : [];
      if (keys.length === 0 && accounts.length === 0) return;
      const candidates = await this.signals.findLinkable(
        tx,
        keys,
        accounts,
        { from: new Date(span.from.getTime() - w), to: new Date(span.to.getTime() + w) },
        incidentId,
      );
      const owners = await this.incidents.incidentsOfSignals(
        tx,
        candidates.map((c) => c.id),
      );
      let added = 0;
      let merged = false;
      const next: SignalView[] = [];
      let widened = false;
      for (const entity of candidates) {
        if (state.unprocessed.has(entity.id)) continue;
        const candidate = toView(entity);
        const link = firstLink(candidate, ctx, this.options);
        if (!link) continue;
        const owner = owners.get(candidate.id);
        if (owner && !owner.active) continue;
        if (owner && owner.id !== incidentId) {
          // The signal ties two live incidents together: they are one campaign.
          await this.merge(tx, owner.id, incidentId, state);
          added++;
          // The merged evidence changes what links: read the whole incident afresh next round.
          merged = true;
          break;
        } else if (!owner) {
          widened = (await this.attach(tx, state, incidentId, candidate, link)) || widened;
          next.push(candidate);
          added++;
        }
      }
      if (added === 0) return;
      front = merged ? null : { signals: next, widened };
    }
    this.logger.warn({ incidentId }, 'incident still growing after 50 rounds; the next batch continues');
  }

  /** Recomputes each touched incident from its evidence and records what changed in its timeline. */
  private async reassess(tx: EntityManager, state: BatchState): Promise<void> {
    for (const [id, { opened, before }] of state.touched) {
      const evidence = await this.evidenceItems(tx, id);
      if (evidence.length === 0) continue;
      const a = assess(evidence);
      await this.incidents.saveAssessment(tx, id, a);
      const facts = {
        severity: a.severity,
        confidence: a.confidence,
        evidenceCount: evidence.length,
        resourceCount: a.resources.length,
        costImpact: { amount: a.costAmount, currency: a.costCurrency },
      };
      if (opened || !before) {
        await this.incidents.addEvent(tx, id, 'incident.opened', ACTOR, facts);
        continue;
      }
      const changed =
        before.confidence !== a.confidence ||
        before.costAmount !== a.costAmount ||
        before.resources.length !== a.resources.length ||
        (before.summary.evidenceCount ?? -1) !== evidence.length;
      if (severityRank(a.severity) > severityRank(before.severity)) {
        await this.incidents.addEvent(tx, id, 'incident.escalated', ACTOR, { ...facts, previousSeverity: before.severity });
      } else if (changed) {
        await this.incidents.addEvent(tx, id, 'incident.updated', ACTOR, facts);
      }
    }
  }
}
