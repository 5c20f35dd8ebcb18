import { parseCloudTrail } from '#src/connectors/aws/cloudtrail.parser.js';
import { parseCloudWatch } from '#src/connectors/aws/cloudwatch.parser.js';
import { parseCostAnomaly } from '#src/connectors/aws/cost-anomaly.parser.js';
import { parseGuardDuty } from '#src/connectors/aws/guardduty.parser.js';
import type { Parser } from '#src/connectors/signal.js';

/** The AWS ingest parsers, keyed by the `{source}` of `POST /v1/ingest/{source}`. */
export const awsParsers: Record<string, Parser> = {
  'aws.guardduty': parseGuardDuty,
  'aws.cost-anomaly': parseCostAnomaly,
  'aws.cloudtrail': parseCloudTrail,
  'aws.cloudwatch': parseCloudWatch,
};
