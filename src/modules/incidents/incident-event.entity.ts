import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The incident's timeline: opened, evidence added, escalated, status changed, merged. */
@Entity('incident_events')
export class IncidentEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') type!: string;
  @Column('text') actor!: string;
  @Column('timestamptz') at!: Date;
  @Column('jsonb') data!: Record<string, unknown>;
}
