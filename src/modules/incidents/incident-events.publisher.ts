import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { toIncidentModel } from '#src/modules/incidents/incident.mapper.js';
import type { IncidentEventModel } from '#src/modules/incidents/incident.model.js';
import { INCIDENT_EVENTS_CHANNEL } from '#src/modules/incidents/incidents.repository.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';

export const INCIDENT_EVENTS_TOPIC = 'INCIDENT_EVENTS';

interface PubSub {
  publish(event: { topic: string; payload: unknown }): Promise<void> | void;
}

/**
 * Feeds the GraphQL subscription `incidentEvents` on this replica from the incident timeline, so
 * a client on any replica hears of a change made on any other: the timeline row commits with the
 * change, NOTIFY wakes every replica's listener, and each publishes what it has not yet seen.
 */
@Injectable()
export class IncidentEventsPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IncidentEventsPublisher.name);
  private listener: pg.Client | null = null;
  private lastId = '0';
  private draining: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly incidents: IncidentsService,
  ) {}

  private get pubsub(): PubSub | undefined {
    return (this.adapterHost.httpAdapter?.getInstance() as { graphql?: { pubsub?: PubSub } } | undefined)?.graphql?.pubsub;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.pubsub) return; // worker role: no GraphQL here
    this.lastId = await this.incidents.lastEventId();
    this.listener = new pg.Client({
      connectionString: (this.ds.options as { url: string }).url,
      application_name: 'minewatch-events-listener',
    });
    this.listener.on('notification', () => this.kick());
    this.listener.on('error', (error) => this.logger.warn(`incident event listener lost: ${error.message}`));
    await this.listener.connect();
    await this.listener.query(`LISTEN ${INCIDENT_EVENTS_CHANNEL}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.draining?.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
  }

  private kick(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'publishing incident events failed'))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const events = await this.incidents.eventsAfter(this.lastId, 500);
      if (events.length === 0) return;
      for (const e of events) {
        this.lastId = e.id;
        const incident = await this.incidents.get(e.incidentId).catch(() => null);
        if (!incident) continue;
        const payload: IncidentEventModel = { id: e.id, type: e.type, at: e.at, actor: e.actor, incident: toIncidentModel(incident) };
        await this.pubsub?.publish({ topic: INCIDENT_EVENTS_TOPIC, payload: { incidentEvents: payload } });
      }
    }
  }
}
