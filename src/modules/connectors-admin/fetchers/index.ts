import type { Provider } from '#src/connectors/signal.js';
import { awsFetchers } from '#src/modules/connectors-admin/fetchers/aws/aws.fetchers.js';
import { azureFetchers } from '#src/modules/connectors-admin/fetchers/azure/azure.fetchers.js';
import { gcpFetchers } from '#src/modules/connectors-admin/fetchers/gcp/gcp.fetchers.js';
import type { StreamFetcher } from '#src/modules/connectors-admin/fetchers/fetcher.js';

/** Every stream a connector can collect, per provider, in the order a run fetches them. */
export const FETCHERS: Record<Provider, StreamFetcher[]> = {
  aws: awsFetchers,
  azure: azureFetchers,
  gcp: gcpFetchers,
};

export const STREAMS: Record<Provider, string[]> = {
  aws: FETCHERS.aws.map((f) => f.stream),
  azure: FETCHERS.azure.map((f) => f.stream),
  gcp: FETCHERS.gcp.map((f) => f.stream),
};
