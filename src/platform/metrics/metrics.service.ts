import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly ingested = new Counter({
    name: 'minewatch_ingest_items_total',
    help: 'Items received on /v1/ingest, by source and outcome (accepted, duplicate, ignored, rejected).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly correlationSeconds = new Histogram({
    name: 'minewatch_correlation_batch_seconds',
    help: 'Time to correlate one batch of pending signals.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly correlatedSignals = new Counter({
    name: 'minewatch_correlated_signals_total',
    help: 'Signals read by the correlation engine.',
    registers: [this.registry],
  });

  readonly httpRequests = new Histogram({
    name: 'minewatch_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'minewatch_queue_jobs',
    help: 'Jobs in the PostgreSQL job queue (pg-boss) by queue and state (queued, active, deferred).',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  /** Set by whoever can count them (the signals repository), read at scrape time. */
  readonly pendingCorrelation = new Gauge({
    name: 'minewatch_signals_pending_correlation',
    help: 'Stored signals the correlation engine has not read yet.',
    registers: [this.registry],
  });

  private readonly scrapeHooks: Array<() => Promise<void>> = [];

  /** Gauges that need a query are refreshed just before each scrape. */
  onScrape(hook: () => Promise<void>): void {
    this.scrapeHooks.push(hook);
  }

  async scrape(): Promise<string> {
    await Promise.all(this.scrapeHooks.map((h) => h().catch(() => undefined)));
    return this.registry.metrics();
  }

  readonly webhookDeliveries = new Counter({
    name: 'minewatch_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (succeeded, http_error, gone, redirect, timeout, network_error, refused, interrupted, internal).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'minewatch_' });
  }
}
