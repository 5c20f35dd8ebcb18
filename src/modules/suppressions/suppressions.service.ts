import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { SuppressionMatch, SuppressionRuleView } from '#src/modules/correlation/suppression.js';
import { SuppressionRuleEntity } from '#src/modules/suppressions/suppression-rule.entity.js';
import { SignalEntity } from '#src/modules/signals/signal.entity.js';

export interface SuppressionRuleWithCount extends SuppressionRuleEntity {
  suppressedCount: number;
}

/** Suppression rules and what they suppressed. All SQL about them is here. */
@Injectable()
export class SuppressionsService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async create(
    input: { name: string; reason: string; match: SuppressionMatch; expiresAt: Date | null },
    actor: string,
  ): Promise<SuppressionRuleWithCount> {
    const repo = this.ds.getRepository(SuppressionRuleEntity);
    const saved = await repo.save(repo.create({ ...input, createdBy: actor }));
    return { ...(await repo.findOneByOrFail({ id: saved.id })), suppressedCount: 0 };
  }

  async list(): Promise<SuppressionRuleWithCount[]> {
    const rules = await this.ds.getRepository(SuppressionRuleEntity).find({ order: { createdAt: 'DESC' } });
    const counts = await this.counts(rules.map((r) => r.id));
    return rules.map((r) => ({ ...r, suppressedCount: counts.get(r.id) ?? 0 }));
  }

  async get(id: string): Promise<SuppressionRuleWithCount | null> {
    const rule = await this.ds.getRepository(SuppressionRuleEntity).findOneBy({ id });
    if (!rule) return null;
    return { ...rule, suppressedCount: (await this.counts([id])).get(id) ?? 0 };
  }

  /** The signals a rule kept out of incidents, newest first. */
  suppressedSignals(id: string, limit: number): Promise<SignalEntity[]> {
    return this.ds
      .getRepository(SignalEntity)
      .createQueryBuilder('s')
      .where('s.suppressed_by = :id', { id })
      .orderBy('s.observed_at', 'DESC')
      .limit(limit)
      .getMany();
  }

  /** Disabled, not deleted: the record of what it suppressed stays. */
  async disable(id: string): Promise<boolean> {
    const result = await this.ds.query(`UPDATE suppression_rules SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL`, [id]);
    return ((result as [unknown, number])[1] ?? 0) > 0;
  }

  async active(tx: EntityManager): Promise<SuppressionRuleView[]> {
    const rows = (await tx.query(
      `SELECT id, match FROM suppression_rules WHERE disabled_at IS NULL AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at`,
    )) as Array<{ id: string; match: SuppressionMatch }>;
    return rows;
  }

  async markSuppressed(tx: EntityManager, signalId: string, ruleId: string): Promise<void> {
    await tx.query(`UPDATE signals SET suppressed_by = $2 WHERE id = $1`, [signalId, ruleId]);
  }

  private async counts(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = (await this.ds.query(
      `SELECT suppressed_by AS id, count(*)::int AS n FROM signals WHERE suppressed_by = ANY($1) GROUP BY suppressed_by`,
      [ids],
    )) as Array<{ id: string; n: number }>;
    return new Map(rows.map((r) => [r.id, r.n]));
  }
}
