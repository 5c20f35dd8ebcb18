import { z } from 'zod';
import { PROVIDERS, type Provider } from '#src/connectors/signal.js';
import { ConnectorErrorCode, ConnectorException } from '#src/modules/connectors-admin/connector.exception.js';
import { STREAMS } from '#src/modules/connectors-admin/fetchers/index.js';

const AWS_ACCOUNT = /^\d{12}$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const AZURE_SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|\{accountId\}):role\/[\w+=,.@/-]{1,512}$/;
const BQ_TABLE = /^[a-z][a-z0-9-]{4,28}[a-z0-9][.:][A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_$-]{1,1024}$/;
const BILLING_ACCOUNT = /^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/;

const text = (max: number) =>
  z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const secret = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(8192, 'is too long');

const endpoint = z
  .string({ error: 'must be a URL' })
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL without credentials in it');

const credentials = z
  .object({
    source: z.enum(['default', 'static', 'token'], {
      error: "must be default (the SDK's credential chain), static (AWS keys) or token (a bearer token)",
    }),
    accessKeyId: text(128).optional(),
    secretAccessKey: secret.optional(),
    sessionToken: secret.optional(),
    token: secret.optional(),
  })
  .strict();

const assumeRole = z
  .object({
    roleArn: z.string({ error: 'must be a string' }).regex(ROLE_ARN, 'must be an IAM role ARN; {accountId} stands for each account'),
    externalId: z
      .string({ error: 'must be a string' })
      .min(2, 'must be 2 to 1224 characters')
      .max(1224, 'must be 2 to 1224 characters')
      .optional(),
  })
  .strict();

const fields = {
  name: text(200),
  scopes: z
    .array(text(200), { error: 'must be a list of accounts, subscriptions or projects' })
    .min(1, 'must name at least one account, subscription or project')
    .max(500),
  collect: z.array(text(64), { error: 'must be a list of streams' }).min(1, 'must name at least one stream').optional(),
  intervalMinutes: z
    .number({ error: 'must be a number' })
    .int('must be whole minutes')
    .min(1, 'must be 1 to 10080')
    .max(10080, 'must be 1 to 10080'),
  backfillDays: z.number({ error: 'must be a number' }).int('must be whole days').min(1, 'must be 1 to 400').max(400, 'must be 1 to 400'),
  regions: z
    .array(z.string({ error: 'must be a string' }).regex(AWS_REGION, 'must be an AWS region such as us-east-1'), {
      error: 'must be a list of regions',
    })
    .min(1)
    .max(40)
    .optional(),
  endpoint: endpoint.nullable().optional(),
  caCertificate: z
    .string({ error: 'must be a PEM certificate' })
    .max(65536)
    .regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate')
    .nullable()
    .optional(),
  credentials: credentials.optional(),
  assumeRole: assumeRole.nullable().optional(),
  billingTable: z.string({ error: 'must be a string' }).regex(BQ_TABLE, 'must be project.dataset.table').nullable().optional(),
  billingAccount: z
    .string({ error: 'must be a string' })
    .regex(BILLING_ACCOUNT, 'must be a billing account id such as 012345-6789AB-CDEF01')
    .nullable()
    .optional(),
};

export const createConnectorSchema = z
  .object({
    ...fields,
    provider: z.enum(PROVIDERS, { error: `must be one of ${PROVIDERS.join(', ')}` }),
    intervalMinutes: fields.intervalMinutes.default(60),
    backfillDays: fields.backfillDays.default(35),
  })
  .strict();

export const updateConnectorSchema = z
  .object({
    name: fields.name.optional(),
    scopes: fields.scopes.optional(),
    collect: fields.collect,
    intervalMinutes: fields.intervalMinutes.optional(),
    backfillDays: fields.backfillDays.optional(),
    regions: fields.regions,
    endpoint: fields.endpoint,
    caCertificate: fields.caCertificate,
    credentials: fields.credentials,
    assumeRole: fields.assumeRole,
    billingTable: fields.billingTable,
    billingAccount: fields.billingAccount,
  })
  .strict();

export type CreateConnectorBody = z.infer<typeof createConnectorSchema>;
export type UpdateConnectorBody = z.infer<typeof updateConnectorSchema>;

export const runsQuery = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(20),
});

/** Validates a JSON body; a 400 problem names every bad field as a JSON pointer into it. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? undefined);
  if (parsed.success) return parsed.data;
  throw invalid(
    parsed.error.issues.flatMap((issue) => {
      const at = issue.path.map(String);
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => ({ field: `/${[...at, k].join('/')}`, message: 'is not a known field' }));
      if (at.length === 0 && issue.code === 'invalid_type') return [{ field: '/', message: 'the body must be a JSON object' }];
      return [{ field: `/${at.join('/')}`, message: issue.message }];
    }),
  );
}

function invalid(errors: Array<{ field: string; message: string }>): ConnectorException {
  return new ConnectorException(
    ConnectorErrorCode.InvalidConnector,
    `Invalid field${errors.length > 1 ? 's' : ''}: ${errors.map((e) => e.field).join(', ')}.`,
    errors,
  );
}

/** What a connector looks like once create or update defaults are applied, for the cross-field checks. */
export interface ConnectorShape {
  provider: Provider;
  scopes: string[];
  streams: string[];
  regions?: string[] | undefined;
  credentialSource: 'default' | 'static' | 'token';
  credentials?: CreateConnectorBody['credentials'];
  roleArn?: string | null | undefined;
  billingTable?: string | null | undefined;
  billingAccount?: string | null | undefined;
}

/** Rules that span fields and depend on the provider; every violation is named at once. */
export function checkShape(c: ConnectorShape): void {
  const errors: Array<{ field: string; message: string }> = [];
  const scopePattern = c.provider === 'aws' ? AWS_ACCOUNT : c.provider === 'azure' ? AZURE_SUBSCRIPTION : GCP_PROJECT;
  const scopeName =
    c.provider === 'aws' ? 'a 12-digit AWS account id' : c.provider === 'azure' ? 'an Azure subscription id (GUID)' : 'a GCP project id';
  c.scopes.forEach((s, i) => {
    if (!scopePattern.test(s)) errors.push({ field: `/scopes/${i}`, message: `must be ${scopeName}` });
  });
  const known = STREAMS[c.provider];
  c.streams.forEach((s, i) => {
    if (!known.includes(s)) errors.push({ field: `/collect/${i}`, message: `is not a ${c.provider} stream; known: ${known.join(', ')}` });
  });
  if (c.provider !== 'aws' && c.regions)
    errors.push({ field: '/regions', message: 'applies to aws only (Azure and GCP streams cover every region of a scope)' });
  if (c.provider !== 'aws' && c.roleArn) errors.push({ field: '/assumeRole', message: 'applies to aws only' });
  const cred = c.credentials;
  if (cred) {
    const allowed: Record<string, string[]> = {
      default: [],
      static: c.provider === 'aws' ? ['accessKeyId', 'secretAccessKey', 'sessionToken'] : [],
      token: c.provider === 'aws' ? [] : ['token'],
    };
    if (cred.source === 'static' && c.provider !== 'aws')
      errors.push({ field: '/credentials/source', message: 'static keys are for aws; use token or default' });
    if (cred.source === 'token' && c.provider === 'aws')
      errors.push({ field: '/credentials/source', message: 'aws takes static keys or default' });
    for (const key of ['accessKeyId', 'secretAccessKey', 'sessionToken', 'token'] as const) {
      if (cred[key] !== undefined && !allowed[cred.source]!.includes(key))
        errors.push({ field: `/credentials/${key}`, message: `does not apply to source ${cred.source}` });
    }
    if (cred.source === 'static' && c.provider === 'aws') {
      if (!cred.accessKeyId) errors.push({ field: '/credentials/accessKeyId', message: 'is required for static credentials' });
      if (!cred.secretAccessKey) errors.push({ field: '/credentials/secretAccessKey', message: 'is required for static credentials' });
    }
    if (cred.source === 'token' && !cred.token) errors.push({ field: '/credentials/token', message: 'is required for token credentials' });
  }
  if (c.provider === 'gcp' && c.streams.includes('billing') && !c.billingTable) {
    errors.push({ field: '/billingTable', message: 'is required to collect billing (the BigQuery billing export table)' });
  }
  if (c.provider === 'gcp' && c.streams.includes('billing-anomalies') && !c.billingAccount) {
    errors.push({ field: '/billingAccount', message: 'is required to collect billing-anomalies (the Cloud Billing account)' });
  }
  if (c.provider !== 'gcp' && (c.billingTable || c.billingAccount))
    errors.push({ field: c.billingTable ? '/billingTable' : '/billingAccount', message: 'applies to gcp only' });
  if (errors.length > 0) throw invalid(errors);
}
