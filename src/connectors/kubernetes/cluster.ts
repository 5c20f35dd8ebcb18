/**
 * Which cluster a pod list came from. `kubectl get pods -o json` does not say, so the ingest query
 * names it (`?provider=aws&accountId=…&region=…&cluster=…`), and the cluster is turned into the
 * id the cloud's other sources use for it, so that pod signals link with them:
 *
 * | provider | `cluster` may be | resource |
 * |---|---|---|
 * | aws | the EKS cluster ARN, or its name | `aws.eks.cluster`, `arn:<partition>:eks:<region>:<account>:cluster/<name>` (GuardDuty's `eksClusterDetails.arn`) |
 * | azure | the AKS cluster's ARM id | `azure.aks.cluster`, the ARM id (Defender and the Activity Log name it so) |
 * | gcp | the GKE cluster name, or its full or relative resource name | `gcp.gke.cluster`, `//container.googleapis.com/projects/<p>/locations/<location>/clusters/<name>` |
 */
import type { IssueList } from '#src/connectors/common.js';
import { parseArmId } from '#src/connectors/azure/arm.js';
import { gkeClusterId, regionOf, resourceFromName } from '#src/connectors/gcp/resource-names.js';
import { PROVIDERS, type Provider, type ResourceRef } from '#src/connectors/signal.js';

export interface ClusterContext {
  provider: Provider;
  accountId: string;
  /** The signal's region (a GKE zone reduced to its region). */
  region: string;
  cluster: ResourceRef;
  /** A short name for titles. */
  name: string;
}

const EKS_ARN = /^arn:(aws[a-z-]*):eks:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9][A-Za-z0-9_-]*)$/;
const EKS_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const GKE_NAME = /^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$/;

/** The AWS partition of a region: China and GovCloud regions have their own ARNs. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Reads the cluster from the query, recording a `query.<name>` issue for each missing or invalid
 * parameter; null when the cluster cannot be named.
 */
export function clusterFromQuery(query: Record<string, string | undefined>, issues: IssueList): ClusterContext | null {
  const param = (name: string) => {
    const value = query[name]?.trim();
    return value ? value : null;
  };
  const provider = param('provider');
  let accountId = param('accountId');
  const region = param('region');
  const cluster = param('cluster');
  const providerOk = provider !== null && (PROVIDERS as readonly string[]).includes(provider);
  if (!providerOk) {
    issues.add(
      null,
      'query.provider',
      `${provider === null ? 'is required' : `must be aws, azure or gcp, got ${JSON.stringify(provider)}`}: pod lists do not say which cloud they come from`,
    );
  }
  if (!accountId) issues.add(null, 'query.accountId', 'is required: the account, subscription or project of the cluster');
  if (!region) issues.add(null, 'query.region', 'is required: the region (or GKE zone) of the cluster');
  if (!cluster)
    issues.add(null, 'query.cluster', 'is required: the EKS cluster ARN or name, the AKS cluster resource id, or the GKE cluster name');
  if (!providerOk || !accountId || !region || !cluster) return null;

  const p = provider as Provider;
  if (p === 'aws') {
    const arn = EKS_ARN.exec(cluster);
    if (cluster.startsWith('arn:') && !arn) {
      issues.add(null, 'query.cluster', 'must be an EKS cluster ARN (arn:aws:eks:<region>:<account>:cluster/<name>) or a cluster name');
      return null;
    }
    if (!arn && !EKS_NAME.test(cluster)) {
      issues.add(
        null,
        'query.cluster',
        `must be an EKS cluster ARN or a cluster name (letters, digits, - and _), got ${JSON.stringify(cluster)}`,
      );
      return null;
    }
    if (arn && arn[3] !== accountId) {
      issues.add(null, 'query.cluster', `names account ${arn[3]}, but accountId is ${accountId}`);
      return null;
    }
    if (arn && arn[2] !== region) {
      issues.add(null, 'query.cluster', `names region ${arn[2]}, but region is ${region}`);
      return null;
    }
    const name = arn ? arn[4]! : cluster;
    const id = arn ? cluster : `arn:${partitionOf(region)}:eks:${region}:${accountId}:cluster/${cluster}`;
    return { provider: p, accountId, region, name, cluster: { provider: p, accountId, region, type: 'aws.eks.cluster', id } };
  }

  if (p === 'azure') {
    // The Azure parsers report subscriptions in lower case (ARM ids come in either).
    accountId = accountId.toLowerCase();
    const arm = parseArmId(cluster);
    const isAks =
      arm !== null &&
      arm.namespace?.toLowerCase() === 'microsoft.containerservice' &&
      arm.types.length === 1 &&
      arm.types[0]!.toLowerCase() === 'managedclusters';
    if (!arm || !isAks) {
      issues.add(
        null,
        'query.cluster',
        'must be the AKS cluster resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>)',
      );
      return null;
    }
    if (arm.subscriptionId !== accountId) {
      issues.add(null, 'query.cluster', `is in subscription ${arm.subscriptionId}, but accountId is ${accountId}`);
      return null;
    }
    const normalizedRegion = region.toLowerCase().replace(/\s+/g, '');
    return {
      provider: p,
      accountId,
      region: normalizedRegion,
      name: arm.names.at(-1)!,
      cluster: { provider: p, accountId, region: normalizedRegion, type: 'azure.aks.cluster', id: arm.id },
    };
  }

  const isResourceName = cluster.startsWith('//') || cluster.startsWith('projects/');
  const named = isResourceName ? resourceFromName(cluster, { service: 'container.googleapis.com' }) : null;
  if (isResourceName && named?.type !== 'gcp.gke.cluster') {
    issues.add(
      null,
      'query.cluster',
      'must be a GKE cluster name or its resource name (projects/<p>/locations/<location>/clusters/<name>)',
    );
    return null;
  }
  if (!named && !GKE_NAME.test(cluster)) {
    issues.add(null, 'query.cluster', `must be a GKE cluster name (lower-case letters, digits and -), got ${JSON.stringify(cluster)}`);
    return null;
  }
  if (named && named.project !== accountId) {
    issues.add(null, 'query.cluster', `is in project ${named.project}, but accountId is ${accountId}`);
    return null;
  }
  const signalRegion = regionOf(region) ?? region;
  const id = named ? named.id : gkeClusterId(accountId, region, cluster);
  return {
    provider: p,
    accountId,
    region: signalRegion,
    name: id.slice(id.lastIndexOf('/') + 1),
    cluster: { provider: p, accountId, region: signalRegion, type: 'gcp.gke.cluster', id },
  };
}
