import { createAzureFlowLogsParser, parseAzureFlowLogs } from '#src/connectors/network/azure-flow-logs.parser.js';
import { createVpcFlowLogsParser, parseVpcFlowLogs } from '#src/connectors/network/aws-vpc-flow-logs.parser.js';
import { createGcpVpcFlowLogsParser, parseGcpVpcFlowLogs } from '#src/connectors/network/gcp-vpc-flow-logs.parser.js';
import type { PoolAddressList } from '#src/connectors/network/pool-addresses.js';
import { parseRoute53ResolverLogs } from '#src/connectors/network/route53-resolver.parser.js';
import type { Parser } from '#src/connectors/signal.js';

/** The flow and DNS log parsers, keyed by the `{source}` of `POST /v1/ingest/{source}`. */
export const networkParsers: Record<string, Parser> = {
  'aws.vpc-flow-logs': parseVpcFlowLogs,
  'aws.route53-resolver': parseRoute53ResolverLogs,
  'azure.flow-logs': parseAzureFlowLogs,
  'gcp.vpc-flow-logs': parseGcpVpcFlowLogs,
};

/** The same parsers matching remote addresses against `pools` (a deployment's current pool address feed). */
export function createNetworkParsers(pools: PoolAddressList): Record<string, Parser> {
  return {
    'aws.vpc-flow-logs': createVpcFlowLogsParser({ pools }),
    'aws.route53-resolver': parseRoute53ResolverLogs,
    'azure.flow-logs': createAzureFlowLogsParser({ pools }),
    'gcp.vpc-flow-logs': createGcpVpcFlowLogsParser({ pools }),
  };
}

export { PoolAddressList, knownPoolAddresses } from '#src/connectors/network/pool-addresses.js';
export { VpcFlowLogReader } from '#src/connectors/network/aws-vpc-flow-logs.parser.js';
