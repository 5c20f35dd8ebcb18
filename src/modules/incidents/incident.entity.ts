import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ResourceRef } from '#src/connectors/signal.js';
import { numericTransformer } from '#src/modules/signals/signal.entity.js';

export const INCIDENT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'CONTAINED', 'RESOLVED', 'FALSE_POSITIVE'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
export const INCIDENT_SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export interface AttackVector {
  principals: string[];
  accessKeyIds: string[];
  sourceIps: string[];
  /** When the attacker's first recorded call happened (ISO), if an audit log shows it. */
  firstCallAt?: string | null;
  /** Display names (e.g. the IAM user name) keyed by principal. */
  principalNames?: Record<string, string>;
}

/** Figures the report prints; recomputed with the incident. */
export interface IncidentSummary {
  findingTypes?: Record<string, number>;
  instanceTypes?: Record<string, number>;
  miningResourceCount?: number;
  sources?: string[];
  detectedAt?: string;
  evidenceCount?: number;
}

@Entity('incidents')
export class IncidentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') status!: IncidentStatus;
  @Column('text') severity!: IncidentSeverity;
  @Column('integer') confidence!: number;
  @Column('text') title!: string;
  @Column('text', { array: true }) providers!: string[];
  @Column('text', { array: true }) accounts!: string[];
  @Column('text', { array: true }) regions!: string[];
  @Column('jsonb') resources!: ResourceRef[];
  @Column('text', { name: 'link_keys', array: true }) linkKeys!: string[];
  @Column('timestamptz', { name: 'first_seen_at' }) firstSeenAt!: Date;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt!: Date;
  @Column('numeric', { name: 'cost_amount', transformer: numericTransformer }) costAmount!: number;
  @Column('text', { name: 'cost_currency' }) costCurrency!: string;
  @Column('jsonb', { name: 'attack_vector' }) attackVector!: AttackVector;
  @Column('text', { array: true }) techniques!: string[];
  @Column('jsonb', { name: 'recommended_actions' }) recommendedActions!: string[];
  @Column('jsonb') summary!: IncidentSummary;
  @Column('uuid', { name: 'merged_into_id', nullable: true }) mergedIntoId!: string | null;
  /** An earlier, closed incident of the same campaign (same resources or credentials). */
  @Column('uuid', { name: 'related_incident_id', nullable: true }) relatedIncidentId!: string | null;
  @Column('timestamptz', { name: 'status_changed_at' }) statusChangedAt!: Date;
  @Column('integer') version!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** What lists show of an incident (REST, GraphQL, CSV): everything but its link keys and summary. */
export type IncidentListItem = Pick<
  IncidentEntity,
  | 'id'
  | 'status'
  | 'severity'
  | 'confidence'
  | 'title'
  | 'providers'
  | 'accounts'
  | 'regions'
  | 'resources'
  | 'firstSeenAt'
  | 'lastSeenAt'
  | 'costAmount'
  | 'costCurrency'
  | 'attackVector'
  | 'techniques'
  | 'recommendedActions'
  | 'relatedIncidentId'
  | 'createdAt'
  | 'updatedAt'
>;
