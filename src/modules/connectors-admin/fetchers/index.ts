import type { Provider } from '#src/connectors/signal.js';
import type { StreamFetcher } from '#src/modules/connectors-admin/fetchers/fetcher.js';

/**
 * Every stream a connector can collect, per provider, in the order a run fetches them. Listed here
 * rather than read from the fetchers so that the cloud SDKs (about 150 MB resident together, the
 * EC2 client alone 100 MB) load only in a process that runs a connector of that cloud.
 */
export const STREAMS: Record<Provider, string[]> = {
  aws: ['cost-anomalies', 'cost', 'cloudtrail', 'guardduty', 'cloudwatch'],
  azure: ['cost', 'activity-log', 'defender', 'monitor'],
  gcp: ['billing', 'billing-anomalies', 'audit-log', 'scc', 'monitoring'],
};

const loaders: Record<Provider, () => Promise<StreamFetcher[]>> = {
  aws: async () => (await import('#src/modules/connectors-admin/fetchers/aws/aws.fetchers.js')).awsFetchers,
  azure: async () => (await import('#src/modules/connectors-admin/fetchers/azure/azure.fetchers.js')).azureFetchers,
  gcp: async () => (await import('#src/modules/connectors-admin/fetchers/gcp/gcp.fetchers.js')).gcpFetchers,
};

/** The fetchers of a provider, in STREAMS order, loading its SDKs on first use. */
export async function loadFetchers(provider: Provider): Promise<StreamFetcher[]> {
  return loaders[provider]();
}
