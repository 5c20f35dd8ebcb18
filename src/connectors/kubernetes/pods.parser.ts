import { asArray, asObject, asString, isObject } from '#src/connectors/common.js';
import { PayloadValidationError, PROVIDERS, type Parser, type Provider, type ResourceRef, type Signal, type ValidationIssue } from '#src/connectors/signal.js';
import { isPoolDomain, mentionsMinerProcess, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

/*
 * `kubectl get pods -o json` output (a `List` or `PodList`, or one `Pod`). The output does not say
 * which cluster it came from, so the query names it: provider, accountId, region, cluster.
 */

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function clusterResource(provider: Provider, accountId: string, region: string, cluster: string): ResourceRef {
  switch (provider) {
    case 'aws':
      return { provider, accountId, region, type: 'aws.eks.cluster', id: cluster.startsWith('arn:') ? cluster : `arn:aws:eks:${region}:${accountId}:cluster/${cluster}` };
    case 'azure':
      return { provider, accountId, region, type: 'azure.aks.cluster', id: cluster };
    case 'gcp':
      return { provider, accountId, region, type: 'gcp.gke.cluster', id: cluster.startsWith('//') ? cluster : `//container.googleapis.com/projects/${accountId}/locations/${region}/clusters/${cluster}` };
  }
}

/** What in a container spec names a miner: its image, command, arguments or environment. */
function indicators(pod: Record<string, unknown>): string[] {
  const spec = asObject(pod['spec']) ?? {};
  const found = new Set<string>();
  for (const c of [...asArray(spec['containers']), ...asArray(spec['initContainers'])]) {
    const container = asObject(c);
    if (!container) continue;
    const image = asString(container['image']) ?? '';
    if (image && mentionsMinerProcess(image)) found.add(`image ${image}`);
    const words = [...asArray(container['command']), ...asArray(container['args'])].map((w) => String(w));
    for (const w of words) {
      if (mentionsMinerProcess(w)) found.add(`command ${w.slice(0, 120)}`);
      const host = /(?:stratum\+(?:tcp|ssl):\/\/)?([a-z0-9.-]+\.[a-z]{2,})(?::\d+)?/i.exec(w)?.[1];
      if (host && isPoolDomain(host)) found.add(`pool ${host}`);
    }
    for (const e of asArray(container['env'])) {
      const value = asString(asObject(e)?.['value']) ?? '';
      if (value && (mentionsMinerProcess(value) || isPoolDomain(value.replace(/^stratum\+(tcp|ssl):\/\//, '').split(':')[0]!))) found.add(`env ${String(asObject(e)?.['name'])}`);
    }
  }
  return [...found];
}

export const parseKubernetesPods: Parser = (body, ctx) => {
  const issues: ValidationIssue[] = [];
  const provider = ctx.query['provider'];
  const accountId = ctx.query['accountId'];
  const region = ctx.query['region'];
  const cluster = ctx.query['cluster'];
  if (!provider || !(PROVIDERS as readonly string[]).includes(provider)) issues.push({ index: null, field: 'query.provider', message: 'must be aws, azure or gcp: pod lists do not say which cloud they come from' });
  if (!accountId) issues.push({ index: null, field: 'query.accountId', message: 'is required: the account, subscription or project of the cluster' });
  if (!region) issues.push({ index: null, field: 'query.region', message: 'is required: the region of the cluster' });
  if (!cluster) issues.push({ index: null, field: 'query.cluster', message: 'is required: the cluster ARN, AKS resource id or GKE cluster name' });

  const root = asObject(body);
  let pods: unknown[] = [];
  let base = '';
  if (root && (root['kind'] === 'List' || root['kind'] === 'PodList') && Array.isArray(root['items'])) {
    pods = root['items'];
    base = '/items';
  } else if (root && root['kind'] === 'Pod') {
    pods = [root];
  } else {
    issues.push({ index: null, field: '/kind', message: 'expected kubectl output: a List or PodList with items, or a Pod' });
  }
  if (issues.length > 0) throw new PayloadValidationError(issues);

  const signals: Signal[] = [];
  let ignored = 0;
  pods.forEach((raw, index) => {
    const at = base ? `${base}/${index}` : '';
    if (!isObject(raw) || raw['kind'] !== 'Pod') {
      issues.push({ index, field: `${at}/kind`, message: 'must be "Pod"' });
      return;
    }
    const meta = asObject(raw['metadata']) ?? {};
    const name = asString(meta['name']);
    const namespace = asString(meta['namespace']) ?? 'default';
    const uid = asString(meta['uid']);
    const created = asString(meta['creationTimestamp']);
    if (!name) issues.push({ index, field: `${at}/metadata/name`, message: 'is required' });
    if (!created || !ISO.test(created) || Number.isNaN(Date.parse(created))) {
      issues.push({ index, field: `${at}/metadata/creationTimestamp`, message: 'must be an ISO 8601 date-time' });
    }
    if (!name || !created || !ISO.test(created) || Number.isNaN(Date.parse(created))) return;
    const found = indicators(raw);
    if (found.length === 0) {
      ignored++;
      return;
    }
    const p = provider as Provider;
    const node = asString(asObject(raw['spec'])?.['nodeName']);
    const status = asObject(raw['status']) ?? {};
    const started = asString(status['startTime']);
    const observedAt = new Date(started && ISO.test(started) ? started : created).toISOString();
    const images = asArray(asObject(raw['spec'])?.['containers']).map((c) => asString(asObject(c)?.['image'])).filter((i): i is string => !!i);
    const resources: ResourceRef[] = [
      { provider: p, accountId: accountId!, region: region!, type: 'k8s.pod', id: `${cluster}/${namespace}/${name}` },
      ...(node ? [{ provider: p, accountId: accountId!, region: region!, type: 'k8s.node', id: `${cluster}/${node}` }] : []),
      clusterResource(p, accountId!, region!, cluster!),
    ];
    signals.push({
      source: 'kubernetes',
      sourceId: `${cluster}/${namespace}/${name}/${uid ?? created}`,
      sourceVersion: `${observedAt}#${asString(status['phase']) ?? ''}`,
      kind: 'workload',
      provider: p,
      accountId: accountId!,
      region: region!,
      observedAt,
      observedUntil: new Date(Math.max(Date.parse(observedAt), ctx.receivedAt.getTime())).toISOString(),
      severity: 'HIGH',
      title: `Pod ${namespace}/${name} runs a cryptominer (${found[0]})`,
      mining: true,
      resources,
      principal: null,
      cost: null,
      attributes: {
        namespace,
        pod: name,
        node,
        images,
        indicators: found,
        phase: asString(status['phase']),
        serviceAccount: asString(asObject(raw['spec'])?.['serviceAccountName']),
        techniques: [RESOURCE_HIJACKING, 'T1610'],
      },
      raw,
    });
  });
  if (issues.length > 0) throw new PayloadValidationError(issues);
  return { signals, ignored };
};

export const kubernetesParsers = { kubernetes: parseKubernetesPods };
