import { Agent } from 'node:https';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { ConnectorView } from '#src/modules/connectors-admin/fetchers/fetcher.js';

export const DEFAULT_AWS_REGIONS = ['us-east-1'];
/** Cost Explorer is global and answers in us-east-1. */
export const COST_EXPLORER_REGION = 'us-east-1';
const ACCOUNT_PLACEHOLDER = '{accountId}';

export function awsRegions(connector: ConnectorView): string[] {
  return connector.settings.regions?.length ? connector.settings.regions : DEFAULT_AWS_REGIONS;
}

/** `account/region` for every configured account and region. */
export function accountRegionScopes(connector: ConnectorView): string[] {
  return connector.scopes.flatMap((account) => awsRegions(connector).map((region) => `${account}/${region}`));
}

export function splitScope(scope: string): { account: string; region: string } {
  const [account = '', region = COST_EXPLORER_REGION] = scope.split('/');
  return { account, region };
}

export function roleArnFor(connector: ConnectorView, account: string): string | null {
  const template = connector.settings.roleArn;
  return template ? template.split(ACCOUNT_PLACEHOLDER).join(account) : null;
}

type ClientClass<C> = new (config: Record<string, unknown>) => C;

/**
 * SDK clients of one run, per account and region. Credentials come from the SDK's default chain
 * (environment, profile, SSO, instance role) or the connector's static key; with a role ARN each
 * account's role is assumed through STS with the external id. Retries are ours (maxAttempts 1).
 */
export class AwsClients {
  private readonly clients = new Map<string, unknown>();
  private readonly credentials = new Map<string, unknown>();

  constructor(private readonly connector: ConnectorView) {}

  private common(region: string): Record<string, unknown> {
    const { endpoint, caCertificate } = this.connector.settings;
    return {
      region,
      maxAttempts: 1,
      ...(endpoint ? { endpoint } : {}),
      requestHandler: {
        requestTimeout: 60_000,
        connectionTimeout: 10_000,
        ...(caCertificate ? { httpsAgent: new Agent({ ca: caCertificate, keepAlive: true }) } : {}),
      },
    };
  }

  private base(): AwsCredentialIdentity | undefined {
    const { credentialSource, secrets } = this.connector;
    if (credentialSource !== 'static' || !secrets.accessKeyId || !secrets.secretAccessKey) return undefined;
    return {
      accessKeyId: secrets.accessKeyId,
      secretAccessKey: secrets.secretAccessKey,
      ...(secrets.sessionToken ? { sessionToken: secrets.sessionToken } : {}),
    };
  }

  private credentialsFor(account: string, region: string): unknown {
    const roleArn = roleArnFor(this.connector, account);
    if (!roleArn) return this.base();
    const key = `${account}`;
    let provider = this.credentials.get(key);
    if (!provider) {
      provider = fromTemporaryCredentials({
        params: {
          RoleArn: roleArn,
          RoleSessionName: `minewatch-${this.connector.id.slice(0, 8)}`,
          DurationSeconds: 3600,
          ...(this.connector.secrets.externalId ? { ExternalId: this.connector.secrets.externalId } : {}),
        },
        ...(this.base() ? { masterCredentials: this.base() } : {}),
        clientConfig: this.common(region),
      });
      this.credentials.set(key, provider);
    }
    return provider;
  }

  private get<C>(Class: ClientClass<C>, account: string, region: string): C {
    const key = `${Class.name}/${account}/${region}`;
    let client = this.clients.get(key) as C | undefined;
    if (!client) {
      const credentials = this.credentialsFor(account, region);
      client = new Class({ ...this.common(region), ...(credentials ? { credentials } : {}) });
      this.clients.set(key, client);
    }
    return client;
  }

  costExplorer(account: string): CostExplorerClient {
    return this.get(CostExplorerClient, account, COST_EXPLORER_REGION);
  }
  guardDuty(account: string, region: string): GuardDutyClient {
    return this.get(GuardDutyClient, account, region);
  }
  cloudTrail(account: string, region: string): CloudTrailClient {
    return this.get(CloudTrailClient, account, region);
  }
  cloudWatch(account: string, region: string): CloudWatchClient {
    return this.get(CloudWatchClient, account, region);
  }
  ec2(account: string, region: string): EC2Client {
    return this.get(EC2Client, account, region);
  }

  destroy(): void {
    for (const client of this.clients.values()) (client as { destroy(): void }).destroy();
    this.clients.clear();
  }
}
