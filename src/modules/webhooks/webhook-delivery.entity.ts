import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** The signed body of one incident event, fixed when the event is fanned out. */
@Entity('webhook_messages')
export class WebhookMessageEntity {
  @PrimaryColumn('bigint', { name: 'event_id' }) eventId!: string;
  @Column('text', { name: 'event_type' }) eventType!: string;
  @Column('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') severity!: string;
  @Column('text', { array: true }) providers!: string[];
  @Column('text') payload!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** One message to one endpoint, with where its delivery stands. */
@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
  @Column('uuid', { name: 'endpoint_id' }) endpointId!: string;
  @Column('bigint', { name: 'event_id' }) eventId!: string;
  @Column('text') status!: DeliveryStatus;
  @Column('integer') attempts!: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt!: Date;
  @Column('timestamptz', { name: 'lease_until', nullable: true }) leaseUntil!: Date | null;
  @Column('uuid', { name: 'lease_token', nullable: true }) leaseToken!: string | null;
  @Column('integer', { name: 'last_status_code', nullable: true }) lastStatusCode!: number | null;
  @Column('integer', { name: 'last_latency_ms', nullable: true }) lastLatencyMs!: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
}

/** The delivery log: one row per HTTP attempt (or per attempt a crash cut short). */
@Entity('webhook_delivery_attempts')
export class WebhookDeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'delivery_id' }) deliveryId!: string;
  @Column('integer') attempt!: number;
  @Column('timestamptz') at!: Date;
  @Column('text') outcome!: string;
  @Column('integer', { name: 'status_code', nullable: true }) statusCode!: number | null;
  @Column('integer', { name: 'latency_ms', nullable: true }) latencyMs!: number | null;
  @Column('text', { nullable: true }) error!: string | null;
}
