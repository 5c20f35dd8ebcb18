import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SuppressionMatch } from '#src/modules/correlation/suppression.js';

/** An analyst's rule for legitimate GPU or mining work: matching new signals join no incident. */
@Entity('suppression_rules')
export class SuppressionRuleEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') reason!: string;
  @Column('jsonb') match!: SuppressionMatch;
  @Column('text', { name: 'created_by' }) createdBy!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt!: Date | null;
}
