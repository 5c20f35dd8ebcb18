import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Principal, Provider, ResourceRef, Severity, SignalKind } from '#src/connectors/signal.js';

/** numeric columns come back from pg as strings; amounts are small enough for a JS number. */
export const numericTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity('signals')
export class SignalEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') source!: string;
  @Column('text', { name: 'source_id' }) sourceId!: string;
  @Column('text', { name: 'source_version' }) sourceVersion!: string;
  @Column('text') kind!: SignalKind;
  @Column('text') provider!: Provider;
  @Column('text', { name: 'account_id' }) accountId!: string;
  @Column('text', { nullable: true }) region!: string | null;
  @Column('timestamptz', { name: 'observed_at' }) observedAt!: Date;
  @Column('timestamptz', { name: 'observed_until' }) observedUntil!: Date;
  @Column('text') severity!: Severity;
  @Column('text') title!: string;
  @Column('boolean') mining!: boolean;
  @Column('jsonb') resources!: ResourceRef[];
  @Column('jsonb', { nullable: true }) principal!: Principal | null;
  @Column('numeric', { name: 'cost_amount', nullable: true, transformer: numericTransformer }) costAmount!: number | null;
  @Column('text', { name: 'cost_currency', nullable: true }) costCurrency!: string | null;
  @Column('jsonb') attributes!: Record<string, unknown>;
  @Column('jsonb', { nullable: true, select: false }) raw!: unknown;
  @Column('text', { name: 'link_keys', array: true }) linkKeys!: string[];
  @Column('timestamptz', { name: 'ingested_at' }) ingestedAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'correlated_at', nullable: true }) correlatedAt!: Date | null;
  /** The suppression rule that kept this signal out of incidents, if any. */
  @Column('uuid', { name: 'suppressed_by', nullable: true }) suppressedBy!: string | null;
}
