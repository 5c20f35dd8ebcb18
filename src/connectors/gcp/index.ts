import { parseAuditLog } from '#src/connectors/gcp/audit-log.parser.js';
import { parseBilling } from '#src/connectors/gcp/billing.parser.js';
import { parseMonitoring } from '#src/connectors/gcp/monitoring.parser.js';
import { parseScc } from '#src/connectors/gcp/scc.parser.js';
import type { Parser } from '#src/connectors/signal.js';

/** The GCP ingest parsers, keyed by the `{source}` of `POST /v1/ingest/{source}`. */
export const gcpParsers: Record<string, Parser> = {
  'gcp.scc': parseScc,
  'gcp.billing': parseBilling,
  'gcp.monitoring': parseMonitoring,
  'gcp.audit-log': parseAuditLog,
};
