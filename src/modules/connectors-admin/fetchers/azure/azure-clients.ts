import { CostManagementClient } from '@azure/arm-costmanagement';
import { MonitorClient } from '@azure/arm-monitor';
import { SecurityCenter } from '@azure/arm-security';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ConnectorView } from '#src/modules/connectors-admin/fetchers/fetcher.js';

const ARM_SCOPE = 'https://management.azure.com/.default';

/** A bearer token the connector holds, offered the way the SDK asks for one. */
function staticToken(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

/** What an ARM call answered, as the wire carried it: the SDKs deserialize it into their own models. */
export interface RawCapture {
  body: unknown;
}

/** Options every ARM call takes to hand back its raw body. */
export function capture(into: RawCapture): { onResponse(raw: { parsedBody?: unknown; bodyAsText?: string | null }): void } {
  return {
    // bodyAsText, not parsedBody: core-client replaces parsedBody with its deserialized model
    // (ARM's `properties` flattened away, names changed).
    onResponse: (raw) => {
      into.body = raw.bodyAsText ? JSON.parse(raw.bodyAsText) : (raw.parsedBody ?? null);
    },
  };
}

/**
 * ARM clients of one run, per subscription. Credentials: DefaultAzureCredential (environment,
 * workload identity, managed identity, Azure CLI …) or a bearer token the connector holds. The
 * endpoint may point elsewhere (a proxy, a fake) with its CA. Retries are ours (maxRetries 0).
 */
export class AzureClients {
  readonly credential: TokenCredential;
  private readonly clients = new Map<string, unknown>();

  constructor(private readonly connector: ConnectorView) {
    this.credential =
      connector.credentialSource === 'token' && connector.secrets.token
        ? staticToken(connector.secrets.token)
        : new DefaultAzureCredential();
  }

  options(): Record<string, unknown> {
    const { endpoint, caCertificate } = this.connector.settings;
    return {
      retryOptions: { maxRetries: 0 },
      ...(endpoint ? { endpoint, credentialScopes: [ARM_SCOPE], credentials: { scopes: [ARM_SCOPE] } } : {}),
      ...(caCertificate ? { tlsOptions: { ca: caCertificate } } : {}),
    };
  }

  private get<C>(key: string, create: () => C): C {
    let client = this.clients.get(key) as C | undefined;
    if (!client) {
      client = create();
      this.clients.set(key, client);
    }
    return client;
  }

  security(subscription: string): SecurityCenter {
    return this.get(`security/${subscription}`, () => new SecurityCenter(this.credential, subscription, this.options()));
  }

  monitor(subscription: string): MonitorClient {
    return this.get(`monitor/${subscription}`, () => new MonitorClient(this.credential, subscription, this.options()));
  }

  costManagement(): CostManagementClient {
    return this.get('cost', () => new CostManagementClient(this.credential, this.options()));
  }
}
