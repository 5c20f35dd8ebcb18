import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'minewatch_' });
  }
}
