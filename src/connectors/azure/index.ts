import { parseActivityLog } from '#src/connectors/azure/activity-log.parser.js';
import { parseCost } from '#src/connectors/azure/cost.parser.js';
import { parseDefender } from '#src/connectors/azure/defender.parser.js';
import { parseMonitor } from '#src/connectors/azure/monitor.parser.js';
import type { Parser } from '#src/connectors/signal.js';

/** The Azure ingest parsers, keyed by the `{source}` of `POST /v1/ingest/{source}`. */
export const azureParsers: Record<string, Parser> = {
  'azure.defender': parseDefender,
  'azure.cost': parseCost,
  'azure.monitor': parseMonitor,
  'azure.activity-log': parseActivityLog,
};
