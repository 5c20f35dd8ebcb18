import { awsParsers } from '#src/connectors/aws/index.js';
import { azureParsers } from '#src/connectors/azure/index.js';
import { focusParsers } from '#src/connectors/focus/index.js';
import { kubernetesParsers } from '#src/connectors/kubernetes/index.js';
import { networkParsers } from '#src/connectors/network/index.js';
import { gcpParsers } from '#src/connectors/gcp/index.js';
import type { Parser } from '#src/connectors/signal.js';
import { parseSignals } from '#src/connectors/signals.parser.js';

/** Every ingest source of the contract that is implemented, by its name in `/v1/ingest/{source}`. */
export const parsers: Record<string, Parser> = {
  signals: parseSignals,
  ...awsParsers,
  ...gcpParsers,
  ...azureParsers,
  ...kubernetesParsers,
  ...focusParsers,
  ...networkParsers,
};

/** Sources whose native form is text (CSV, log lines) rather than JSON. */
export const TEXT_SOURCES = new Set(['focus', 'azure.cost', 'aws.vpc-flow-logs']);
