/**
 * The normalized signal every connector returns. Connectors are pure: a cloud payload goes in,
 * `Signal[]` comes out. Nothing here may import Nest, TypeORM or a module.
 */

export const PROVIDERS = ['aws', 'azure', 'gcp'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const SIGNAL_KINDS = ['cost_anomaly', 'security_finding', 'utilization', 'provisioning', 'network', 'workload'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A cloud resource a signal is about, e.g. `{ type: 'aws.ec2.instance', id: 'i-0abc…' }`. */
export interface ResourceRef {
  provider: Provider;
  accountId: string;
  region: string | null;
  /** `<provider>.<service>.<kind>`: aws.ec2.instance, aws.lambda.function, aws.eks.cluster, aws.iam.access-key … */
  type: string;
  /** The cloud's own id: instance id, ARN, ARM resource id, self link. */
  id: string;
  /** Instance type / VM size / machine type when the payload names it (p3.8xlarge, Standard_NC6). */
  instanceType?: string | null;
}

/** Who did it: the identity, its access key and where it called from. */
export interface Principal {
  /** IAM user/role ARN or name, Azure caller, GCP principal email. */
  identity: string | null;
  /** A short display name (developer-user) when the payload has one. */
  name?: string | null;
  accessKeyId: string | null;
  sourceIp: string | null;
  userAgent?: string | null;
}

export interface Money {
  amount: number;
  currency: string;
}

export interface Signal {
  /** The ingest source that produced it: `aws.guardduty`, `aws.cost-anomaly` … */
  source: string;
  /** Stable id of the item within its source; one row per (source, sourceId). */
  sourceId: string;
  /**
   * Orders versions of the same item: a later version compares greater as a plain string
   * (e.g. `2024-01-01T00:00:00.000Z#000000012` for GuardDuty `updatedAt` and `count`).
   * An item that arrives with an equal or smaller version is a duplicate.
   */
  sourceVersion: string;
  kind: SignalKind;
  provider: Provider;
  /** AWS account, Azure subscription or GCP project. */
  accountId: string;
  region: string | null;
  /** Start of the observed window (ISO 8601). */
  observedAt: string;
  /** End of the observed window; equal to observedAt for a point event. */
  observedUntil: string;
  severity: Severity;
  title: string;
  /** True when the mining taxonomy says this item is about cryptomining. */
  mining: boolean;
  resources: ResourceRef[];
  principal: Principal | null;
  cost: Money | null;
  /**
   * Source-specific facts the correlation rules read. Conventional keys:
   * findingType, service, usageType, instanceFamily, instanceType, eventName, metric,
   * average, maximum, expectedSpend, actualSpend, count.
   */
  attributes: Record<string, unknown>;
  /** The item exactly as it arrived (one item, not the whole request). */
  raw: unknown;
}

/** One thing wrong with a request: which item, which field (a JSON pointer into the body), and why. */
export interface ValidationIssue {
  /** Index of the item within the request (after unwrapping the envelope); null when the envelope itself is wrong. */
  index: number | null;
  /** JSON pointer into the request body, e.g. `/Findings/3/UpdatedAt`. */
  field: string;
  message: string;
}

/** The only error a parser throws. It lists every bad item, not just the first. */
export class PayloadValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(
      issues
        .slice(0, 3)
        .map((i) => `${i.field || '/'}: ${i.message}`)
        .join('; ') + (issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''),
    );
    this.name = 'PayloadValidationError';
  }
}

export interface ParseContext {
  /** When the request arrived; a parser may use it only where the payload has no time of its own. */
  receivedAt: Date;
  /** Query parameters of the request (e.g. kubernetes `provider`, `accountId`, `region`, `cluster`). */
  query: Record<string, string | undefined>;
}

/**
 * One day of cost for one series (account, service, region, resource), as billing exports and cost
 * queries report it. Cost parsers return these; MineWatch keeps them as daily series and its own
 * anomaly detector turns spikes into `cost_anomaly` signals (Azure has no anomaly API, GCP's is beta).
 */
export interface CostRow {
  /** The ingest source that produced it, e.g. `azure.cost`, `gcp.billing`, `focus`. */
  source: string;
  provider: Provider;
  accountId: string;
  /** The billed service as the cloud names it (Virtual Machines, Compute Engine, Amazon Elastic Compute Cloud - Compute). */
  service: string;
  region: string | null;
  /** Resource id when the row names one (ARM id, GCE full resource name, instance ARN); null for service totals. */
  resourceId: string | null;
  /** SKU / usage type / meter, e.g. `BoxUsage:p3.8xlarge`, `Standard_NC24s_v3`, `Nvidia Tesla V100 GPU running in Americas`. */
  usageType: string | null;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  amount: number;
  currency: string;
  /** Cost rows from the same export can repeat a day (several meters): they are summed per series and day. */
}

export interface ParseResult {
  signals: Signal[];
  /** Items read and deliberately dropped (e.g. flow log records that touch no mining port). */
  ignored: number;
  /** Daily cost rows, for the sources that carry cost (azure.cost, gcp.billing, focus). */
  costRows?: CostRow[];
}

/**
 * A parser takes the decoded request body (a JSON value; NDJSON arrives as an array of its lines)
 * and returns signals, or throws PayloadValidationError naming every bad item and field.
 */
export type Parser = (body: unknown, ctx: ParseContext) => ParseResult;
