import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ConnectorCheckpointEntity,
  ConnectorEntity,
  ConnectorRunEntity,
  type RunStatus,
  type RunTrigger,
  type StreamOutcome,
} from '#src/modules/connectors-admin/connector.entity.js';

export interface QueuedRun {
  runId: string;
  connectorId: string;
}

export type Claim = { ok: true; connector: ConnectorEntity } | { ok: false; reason: 'not-queued' | 'busy' | 'gone' | 'paused' };

export interface RunOutcome {
  status: RunStatus;
  itemsFetched: number;
  pages: number;
  throttled: number;
  streams: Record<string, StreamOutcome>;
  error: string | null;
}

export interface CheckpointRow {
  watermark: Date | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  pageCursor: unknown;
  state: Record<string, unknown>;
}

/** SQL of the connectors module: connectors, their runs and checkpoints. */
@Injectable()
export class ConnectorsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  async insert(
    row: Omit<
      ConnectorEntity,
      | 'createdAt'
      | 'updatedAt'
      | 'leaseRunId'
      | 'leaseUntil'
      | 'lastRunAt'
      | 'lastSuccessAt'
      | 'lastRunStatus'
      | 'itemsFetched'
      | 'lastError'
      | 'lastErrorAt'
    >,
  ): Promise<ConnectorEntity> {
    const now = new Date();
    await this.ds.getRepository(ConnectorEntity).insert({
      ...row,
      itemsFetched: 0,
      createdAt: now,
      updatedAt: now,
    });
    return (await this.find(row.id))!;
  }

  find(id: string): Promise<ConnectorEntity | null> {
    return this.ds.getRepository(ConnectorEntity).findOneBy({ id });
  }

  list(): Promise<ConnectorEntity[]> {
    return this.ds.getRepository(ConnectorEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async update(id: string, patch: Partial<ConnectorEntity>): Promise<ConnectorEntity | null> {
    await this.ds.getRepository(ConnectorEntity).update({ id }, { ...patch, updatedAt: new Date() });
    return this.find(id);
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.ds.getRepository(ConnectorEntity).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Takes every active connector whose tick has come, moves its next tick past now and records one
   * scheduled run per connector and tick. Rows are taken FOR UPDATE SKIP LOCKED: a replica that
   * finds a connector locked leaves it to the one holding it, and the unique (connector, trigger,
   * slot) makes a second run of the same tick impossible even so. `enqueue` runs in the same
   * transaction, so a run row and its job commit together.
   */
  async dispatchDue(limit: number, enqueue: (tx: EntityManager, runs: QueuedRun[]) => Promise<void>): Promise<QueuedRun[]> {
    return this.ds.transaction(async (tx) => {
      // A data-modifying CTE read by a SELECT: TypeORM returns an UPDATE's rows with a count beside them.
      const due: Array<{ id: string; slot: Date }> = await tx.query(
        `WITH due AS (
           SELECT id, next_run_at FROM connectors
           WHERE status = 'active' AND next_run_at <= now()
           ORDER BY next_run_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED),
         moved AS (
           UPDATE connectors c
              SET next_run_at = due.next_run_at + make_interval(mins => c.interval_minutes * (floor(extract(epoch FROM now() - due.next_run_at) / (c.interval_minutes * 60))::int + 1)),
                  updated_at = now()
             FROM due WHERE c.id = due.id
           RETURNING c.id, due.next_run_at AS slot)
         SELECT id, slot FROM moved`,
        [limit],
      );
      const runs: QueuedRun[] = [];
      for (const d of due) {
        const inserted: Array<{ id: string }> = await tx.query(
          `INSERT INTO connector_runs (id, connector_id, trigger, slot) VALUES ($1, $2, 'schedule', $3)
           ON CONFLICT ON CONSTRAINT connector_runs_once DO NOTHING RETURNING id`,
          [randomUUID(), d.id, d.slot],
        );
        if (inserted[0]) runs.push({ runId: inserted[0].id, connectorId: d.id });
      }
      if (runs.length > 0) await enqueue(tx, runs);
      return runs;
    });
  }

  async createManualRun(
    connectorId: string,
    enqueue: (tx: EntityManager, runs: QueuedRun[]) => Promise<void>,
  ): Promise<ConnectorRunEntity> {
    const id = randomUUID();
    await this.ds.transaction(async (tx) => {
      await tx.query(`INSERT INTO connector_runs (id, connector_id, trigger, slot) VALUES ($1, $2, 'manual', clock_timestamp())`, [
        id,
        connectorId,
      ]);
      await enqueue(tx, [{ runId: id, connectorId }]);
    });
    return (await this.findRun(id))!;
  }

  findRun(id: string): Promise<ConnectorRunEntity | null> {
    return this.ds.getRepository(ConnectorRunEntity).findOneBy({ id });
  }

  runs(connectorId: string, limit: number): Promise<ConnectorRunEntity[]> {
    return this.ds.getRepository(ConnectorRunEntity).find({ where: { connectorId }, order: { queuedAt: 'DESC', id: 'DESC' }, take: limit });
  }

  /**
   * Starts a queued run if its connector is free: the run row goes from queued to running and the
   * connector's lease to this run, in one transaction. A connector holds one run at a time; a run
   * that finds another one in progress is skipped (the next tick continues from the checkpoints).
   */
  async claimRun(runId: string, leaseMs: number): Promise<Claim> {
    return this.ds.transaction(async (tx) => {
      const [run]: Array<{ connector_id: string; status: RunStatus; trigger: RunTrigger }> = await tx.query(
        `SELECT connector_id, status, trigger FROM connector_runs WHERE id = $1 FOR UPDATE`,
        [runId],
      );
      if (!run) return { ok: false, reason: 'gone' } as const;
      if (run.status !== 'queued') return { ok: false, reason: 'not-queued' } as const;
      const connector = await tx
        .getRepository(ConnectorEntity)
        .findOne({ where: { id: run.connector_id }, lock: { mode: 'pessimistic_write' } });
      if (!connector) return { ok: false, reason: 'gone' } as const;
      const skip = async (reason: 'busy' | 'paused', error: string) => {
        await tx.query(`UPDATE connector_runs SET status = 'skipped', finished_at = now(), error = $2 WHERE id = $1`, [runId, error]);
        return { ok: false, reason } as const;
      };
      if (connector.status === 'paused' && run.trigger === 'schedule') return skip('paused', 'the connector was paused');
      if (connector.leaseRunId && connector.leaseUntil && connector.leaseUntil.getTime() > Date.now()) {
        return skip('busy', `run ${connector.leaseRunId} was still in progress`);
      }
      await tx.query(`UPDATE connector_runs SET status = 'running', started_at = now() WHERE id = $1`, [runId]);
      if (connector.leaseRunId) {
        // Its worker stopped without finishing: say so on that run.
        await tx.query(
          `UPDATE connector_runs SET status = 'failed', finished_at = now(), error = 'the worker running it stopped' WHERE id = $1 AND status = 'running'`,
          [connector.leaseRunId],
        );
      }
      await tx.query(
        `UPDATE connectors SET lease_run_id = $2, lease_until = now() + make_interval(secs => $3), last_run_at = now() WHERE id = $1`,
        [connector.id, runId, leaseMs / 1000],
      );
      return { ok: true, connector } as const;
    });
  }

  /** Extends the lease while the run makes progress; false when the run lost it. */
  async renewLease(connectorId: string, runId: string, leaseMs: number): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `WITH renewed AS (UPDATE connectors SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND lease_run_id = $2 RETURNING id) SELECT id FROM renewed`,
      [connectorId, runId, leaseMs / 1000],
    );
    return rows.length > 0;
  }

  async finishRun(connectorId: string, runId: string, outcome: RunOutcome): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await tx.query(
        `UPDATE connector_runs SET status = $2, finished_at = now(), items_fetched = $3, pages = $4, throttled = $5, streams = $6, error = $7 WHERE id = $1`,
        [runId, outcome.status, outcome.itemsFetched, outcome.pages, outcome.throttled, JSON.stringify(outcome.streams), outcome.error],
      );
      const succeeded = outcome.status === 'succeeded';
      await tx.query(
        `UPDATE connectors SET
           lease_run_id = NULL, lease_until = NULL,
           last_run_status = $3, items_fetched = $4,
           last_success_at = CASE WHEN $5 THEN now() ELSE last_success_at END,
           last_error = CASE WHEN $6::text IS NOT NULL THEN $6 WHEN $5 THEN NULL ELSE last_error END,
           last_error_at = CASE WHEN $6::text IS NOT NULL THEN now() ELSE last_error_at END,
           updated_at = now()
         WHERE id = $1 AND lease_run_id = $2`,
        [connectorId, runId, outcome.status, outcome.itemsFetched, succeeded, outcome.error],
      );
    });
  }

  /** Marks a run failed that could not start (its connector's secrets would not open, …). */
  async failRun(connectorId: string, runId: string, error: string): Promise<void> {
    await this.finishRun(connectorId, runId, { status: 'failed', itemsFetched: 0, pages: 0, throttled: 0, streams: {}, error });
  }

  /** Queued runs whose job was lost (a crash between commit and pickup cannot happen, but a purged queue can). */
  async staleQueuedRuns(olderThanMs: number): Promise<QueuedRun[]> {
    const rows: Array<{ id: string; connector_id: string }> = await this.ds.query(
      `SELECT id, connector_id FROM connector_runs WHERE status = 'queued' AND queued_at < now() - make_interval(secs => $1) ORDER BY queued_at LIMIT 100`,
      [olderThanMs / 1000],
    );
    return rows.map((r) => ({ runId: r.id, connectorId: r.connector_id }));
  }

  async checkpoint(connectorId: string, stream: string, scope: string): Promise<CheckpointRow | null> {
    const row = await this.ds.getRepository(ConnectorCheckpointEntity).findOneBy({ connectorId, stream, scope });
    return row
      ? {
          watermark: row.watermark,
          windowStart: row.windowStart,
          windowEnd: row.windowEnd,
          pageCursor: row.pageCursor,
          state: row.state ?? {},
        }
      : null;
  }

  async saveCheckpoint(connectorId: string, stream: string, scope: string, cp: CheckpointRow): Promise<void> {
    await this.ds.query(
      `INSERT INTO connector_checkpoints (connector_id, stream, scope, watermark, window_start, window_end, page_cursor, state, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (connector_id, stream, scope) DO UPDATE SET
         watermark = EXCLUDED.watermark, window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end,
         page_cursor = EXCLUDED.page_cursor, state = EXCLUDED.state, updated_at = now()`,
      [
        connectorId,
        stream,
        scope,
        cp.watermark,
        cp.windowStart,
        cp.windowEnd,
        cp.pageCursor === null || cp.pageCursor === undefined ? null : JSON.stringify(cp.pageCursor),
        JSON.stringify(cp.state),
      ],
    );
  }
}
