import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Assessment } from '#src/modules/correlation/assessment.js';
import type { Link } from '#src/modules/correlation/correlation.types.js';
import { IncidentErrorCode, IncidentException } from '#src/modules/incidents/incident.exception.js';
import type { IncidentEntity, IncidentListItem, IncidentStatus } from '#src/modules/incidents/incident.entity.js';
import { type Cursor, type EvidenceRow, type IncidentFilter, IncidentsRepository } from '#src/modules/incidents/incidents.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(i: Pick<IncidentEntity, 'lastSeenAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([i.lastSeenAt.toISOString(), i.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const lastSeenAt = new Date(at);
    if (Number.isNaN(lastSeenAt.getTime()) || !UUID.test(id)) throw new Error('bad cursor');
    return { lastSeenAt, id };
  } catch {
    throw new IncidentException(IncidentErrorCode.InvalidQuery, 'The cursor is not one this API returned.', [
      { field: 'cursor', message: 'invalid cursor' },
    ]);
  }
}

export interface IncidentPage {
  items: IncidentListItem[];
  nextCursor: string | null;
  hasNextPage: boolean;
}

@Injectable()
export class IncidentsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: IncidentsRepository,
  ) {}

  // ---- reading (REST, GraphQL, reports) ----

  async get(id: string): Promise<IncidentEntity> {
    if (!UUID.test(id)) throw new IncidentException(IncidentErrorCode.NotFound, `No incident ${id}.`);
    let incident = await this.repo.findById(id);
    // A merged incident answers with the one it was merged into.
    for (let hops = 0; incident?.mergedIntoId && hops < 10; hops++) incident = await this.repo.findById(incident.mergedIntoId);
    if (!incident) throw new IncidentException(IncidentErrorCode.NotFound, `No incident ${id}.`);
    return incident;
  }

  async list(filter: IncidentFilter, limit: number, cursor?: string): Promise<IncidentPage> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await this.repo.list(filter, limit + 1, after);
    const items = rows.slice(0, limit);
    const hasNextPage = rows.length > limit;
    return { items, hasNextPage, nextCursor: hasNextPage ? encodeCursor(items[items.length - 1]!) : null };
  }

  costImpact(q: { provider?: string; account?: string; since?: Date; until?: Date }) {
    return this.repo.costImpact(q);
  }

  count(filter: IncidentFilter): Promise<number> {
    return this.repo.count(filter);
  }

  evidence(incidentIds: string[]): Promise<EvidenceRow[]> {
    return this.repo.evidence(null, incidentIds);
  }

  events(incidentId: string) {
    return this.repo.events([incidentId]);
  }

  eventsOf(incidentIds: string[]) {
    return this.repo.events(incidentIds);
  }

  eventsAfter(afterId: string, limit: number) {
    return this.repo.eventsAfter(afterId, limit);
  }

  lastEventId() {
    return this.repo.lastEventId();
  }

  async transition(id: string, to: IncidentStatus, note: string | undefined, actor: string): Promise<IncidentEntity> {
    const current = await this.get(id);
    await this.ds.transaction(async (tx) => {
      await this.repo.lockIncidents(tx, [current.id]);
      const locked = (await this.repo.findById(current.id, tx))!;
      if (locked.status === to && !note) return;
      if (locked.status !== to) await this.repo.setStatus(tx, current.id, to);
      await this.repo.addEvent(tx, current.id, 'incident.status_changed', actor, { from: locked.status, to, note: note ?? null });
    });
    return this.get(current.id);
  }

  // ---- used by the correlation engine inside its transaction ----

  findLinkCandidates(
    tx: EntityManager,
    keys: string[],
    account: { provider: string; accountId: string },
    window: { from: Date; to: Date },
    closedSince: Date,
  ) {
    return this.repo.findLinkCandidates(tx, keys, account, window, closedSince);
  }

  latestClosedSharing(tx: EntityManager, keys: string[]) {
    return this.repo.latestClosedSharing(tx, keys);
  }

  setRelated(tx: EntityManager, id: string, relatedId: string) {
    return this.repo.setRelated(tx, id, relatedId);
  }

  /** New mining evidence after resolution: the incident is live again, and the timeline says why. */
  async reopen(tx: EntityManager, id: string, reason: string, actor: string): Promise<void> {
    await this.repo.setStatus(tx, id, 'OPEN');
    await this.repo.addEvent(tx, id, 'incident.status_changed', actor, { from: 'RESOLVED', to: 'OPEN', note: reason });
  }

  lock(tx: EntityManager, ids: string[]) {
    return this.repo.lockIncidents(tx, ids);
  }

  async open(tx: EntityManager, assessment: Assessment, signalId: string, link: Link): Promise<string> {
    const id = await this.repo.insert(tx, assessment);
    await this.repo.addEvidence(tx, id, signalId, link);
    return id;
  }

  addEvidence(tx: EntityManager, incidentId: string, signalId: string, link: Link) {
    return this.repo.addEvidence(tx, incidentId, signalId, link);
  }

  evidenceIn(tx: EntityManager, incidentIds: string[]) {
    return this.repo.evidence(tx, incidentIds);
  }

  incidentsOfSignals(tx: EntityManager, signalIds: string[]) {
    return this.repo.incidentsOfSignals(tx, signalIds);
  }

  async merge(tx: EntityManager, fromId: string, intoId: string, actor: string): Promise<void> {
    const moved = await this.repo.moveEvidence(tx, fromId, intoId);
    await this.repo.addEvent(tx, intoId, 'incident.merged', actor, { mergedIncidentId: fromId, evidenceMoved: moved });
    await this.repo.addEvent(tx, fromId, 'incident.merged_into', actor, { incidentId: intoId });
  }

  findForUpdate(tx: EntityManager, id: string) {
    return this.repo.findById(id, tx);
  }

  saveAssessment(tx: EntityManager, id: string, assessment: Assessment) {
    return this.repo.updateAssessment(tx, id, assessment);
  }

  addEvent(tx: EntityManager, incidentId: string, type: string, actor: string, data: Record<string, unknown>) {
    return this.repo.addEvent(tx, incidentId, type, actor, data);
  }
}
