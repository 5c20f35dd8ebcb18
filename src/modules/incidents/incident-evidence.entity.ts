import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('incident_evidence')
export class IncidentEvidenceEntity {
  @PrimaryColumn('uuid', { name: 'incident_id' }) incidentId!: string;
  @PrimaryColumn('uuid', { name: 'signal_id' }) signalId!: string;
  @Column('text') rule!: string;
  @Column('real') weight!: number;
  @Column('text') reason!: string;
  @Column('timestamptz', { name: 'added_at' }) addedAt!: Date;
}
