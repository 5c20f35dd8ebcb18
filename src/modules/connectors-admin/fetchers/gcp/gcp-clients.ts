import { BigQuery } from '@google-cloud/bigquery';
import { v2 as logging } from '@google-cloud/logging';
import { MetricServiceClient } from '@google-cloud/monitoring';
import { v2 as scc } from '@google-cloud/security-center';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
// google-gax is what the three clients above are built on (one version for all of them): its
// proto3 JSON serializer turns what they decode back into the REST JSON the parsers read.
import { serializer, type ClientOptions, type protobuf } from 'google-gax';
import type { ConnectorView } from '#src/modules/connectors-admin/fetchers/fetcher.js';

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** A Google client's own protobuf root: gax decodes responses with it. */
type WithProtos = { _protos: protobuf.Root };

/** The gapic Logging client (@google-cloud/logging types its `v2` export as any). */
export interface LogEntriesClient {
  listLogEntries(request: Record<string, unknown>, options: Record<string, unknown>): Promise<[unknown[], unknown, unknown]>;
  close(): Promise<void>;
}

/**
 * What gax decodes a REST response into (Timestamps as `{seconds, nanos}`, Structs as
 * `{fields: …}`) written back as the proto3 JSON the API sent, which is what the `gcp.*` parsers
 * (and `/v1/ingest`) take.
 */
export function restJson(client: unknown, typeName: string, decoded: unknown): unknown {
  const type = (client as WithProtos)._protos.lookupType(typeName);
  return serializer.toProto3JSON(type.fromObject(decoded as Record<string, unknown>) as never);
}

/**
 * The Cloud Audit Log payload type. @google-cloud/logging's protos do not carry it, so its REST
 * fallback cannot decode `protoPayload` (an Any of this type) without it. Every nested message is
 * declared a Struct: any JSON object passes through unchanged, which is all the parser needs.
 */
const AUDIT_LOG = {
  AuditLog: {
    fields: {
      serviceName: { type: 'string', id: 7 },
      methodName: { type: 'string', id: 8 },
      resourceName: { type: 'string', id: 11 },
      resourceLocation: { type: 'google.protobuf.Struct', id: 20 },
      resourceOriginalState: { type: 'google.protobuf.Struct', id: 19 },
      numResponseItems: { type: 'int64', id: 12 },
      status: { type: 'google.protobuf.Struct', id: 2 },
      authenticationInfo: { type: 'google.protobuf.Struct', id: 3 },
      authorizationInfo: { rule: 'repeated', type: 'google.protobuf.Struct', id: 9 },
      policyViolationInfo: { type: 'google.protobuf.Struct', id: 25 },
      requestMetadata: { type: 'google.protobuf.Struct', id: 4 },
      request: { type: 'google.protobuf.Struct', id: 16 },
      response: { type: 'google.protobuf.Struct', id: 17 },
      metadata: { type: 'google.protobuf.Struct', id: 18 },
      serviceData: { type: 'google.protobuf.Struct', id: 15 },
    },
  },
};

/** Where the Google APIs are: Google's own, or the connector's endpoint (one host for all of them). */
function endpointOf(connector: ConnectorView): { host: string; port: number; protocol: 'http' | 'https'; url: string } | null {
  if (!connector.settings.endpoint) return null;
  const u = new URL(connector.settings.endpoint);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return { host: u.hostname, port: Number(u.port || (protocol === 'http' ? 80 : 443)), protocol, url: `${u.protocol}//${u.host}` };
}

/**
 * Google clients of one run. Credentials: Application Default Credentials (the SDK's chain), or a
 * bearer token the connector holds. Retries are ours: BigQuery `autoRetry: false`, gax calls with
 * `retry: null`.
 */
export class GcpClients {
  readonly auth: GoogleAuth | OAuth2Client;
  private bq: BigQuery | null = null;
  private sccClient: scc.SecurityCenterClient | null = null;
  private metrics: MetricServiceClient | null = null;
  private logs: LogEntriesClient | null = null;

  constructor(private readonly connector: ConnectorView) {
    if (connector.credentialSource === 'token' && connector.secrets.token) {
      const client = new OAuth2Client();
      client.setCredentials({ access_token: connector.secrets.token });
      this.auth = client;
    } else {
      this.auth = new GoogleAuth({ scopes: SCOPES });
    }
  }

  /** Base URL of REST APIs that have no client library here (Cloud Billing v1beta). */
  restBase(api: string): string {
    return endpointOf(this.connector)?.url ?? `https://${api}.googleapis.com`;
  }

  private gax(): ClientOptions {
    const endpoint = endpointOf(this.connector);
    const auth = this.auth instanceof OAuth2Client ? { authClient: this.auth } : { auth: this.auth };
    return {
      fallback: 'rest',
      ...auth,
      ...(endpoint ? { apiEndpoint: endpoint.host, port: endpoint.port, protocol: endpoint.protocol } : {}),
    };
  }

  bigQuery(projectId: string): BigQuery {
    const endpoint = endpointOf(this.connector);
    this.bq ??= new BigQuery({
      projectId,
      autoRetry: false,
      ...(this.auth instanceof OAuth2Client ? { authClient: this.auth } : {}),
      ...(endpoint ? { apiEndpoint: endpoint.url } : {}),
    });
    return this.bq;
  }

  securityCenter(): scc.SecurityCenterClient {
    // security-center bundles its own copy of gax and google-auth-library: same shapes, other classes.
    this.sccClient ??= new scc.SecurityCenterClient(this.gax() as never);
    return this.sccClient;
  }

  monitoring(): MetricServiceClient {
    this.metrics ??= new MetricServiceClient(this.gax());
    return this.metrics;
  }

  logging(): LogEntriesClient {
    if (!this.logs) {
      const client = new (logging as { LoggingServiceV2Client: new (o: ClientOptions) => LogEntriesClient }).LoggingServiceV2Client(
        this.gax(),
      );
      // gax caches one root per process: another run may have taught it the type already.
      const root = (client as unknown as WithProtos)._protos;
      if (!root.lookup('google.cloud.audit.AuditLog')) root.define('google.cloud.audit').addJSON(AUDIT_LOG);
      this.logs = client;
    }
    return this.logs;
  }

  close(): void {
    for (const c of [this.sccClient, this.metrics, this.logs]) void c?.close().catch(() => undefined);
  }
}
