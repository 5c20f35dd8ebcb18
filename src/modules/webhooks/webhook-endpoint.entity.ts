import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { IncidentSeverity } from '#src/modules/incidents/incident.entity.js';

export type WebhookEndpointStatus = 'active' | 'disabled';

/** A subscriber: where to send which incident events, and the secret that signs them. */
@Entity('webhook_endpoints')
export class WebhookEndpointEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') url!: string;
  @Column('text', { name: 'event_types', array: true }) eventTypes!: string[];
  @Column('text', { name: 'min_severity', nullable: true }) minSeverity!: IncidentSeverity | null;
  @Column('text', { array: true }) providers!: string[];
  /** Sealed by SecretBox; the secret itself is never stored. */
  @Column('text', { name: 'secret_sealed' }) secretSealed!: string;
  @Column('text', { name: 'previous_secret_sealed', nullable: true }) previousSecretSealed!: string | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt!: Date | null;
  @Column('text') status!: WebhookEndpointStatus;
  @Column('timestamptz', { name: 'disabled_at', nullable: true }) disabledAt!: Date | null;
  @Column('text', { name: 'disabled_reason', nullable: true }) disabledReason!: string | null;
  @Column('timestamptz', { name: 'failing_since', nullable: true }) failingSince!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

/** What happened to an endpoint: created, secret rotated, disabled (and why), enabled. */
@Entity('webhook_endpoint_events')
export class WebhookEndpointEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'endpoint_id' }) endpointId!: string;
  @Column('text') type!: string;
  @Column('timestamptz') at!: Date;
  @Column('text', { nullable: true }) detail!: string | null;
}
