/**
 * `kubernetes`: pods exactly as `kubectl get pods -o json` prints them (`{"apiVersion": "v1",
 * "kind": "List", "items": [Pod…]}`; one Pod for `kubectl get pod <name> -o json`), or as the API
 * returns them (`kind: "PodList"`, whose items carry no `kind`). A `List` of other kinds
 * (`kubectl get all -o json`) is read for its Pods; the other items are counted as ignored.
 *
 * The output does not say which cluster it came from: the query names it (cluster.ts).
 *
 * A pod whose images, command, arguments or environment name a miner (miner-indicators.ts)
 * becomes a `workload` signal about the pod, its node and the cluster; every other pod is counted
 * as ignored.
 */
import { z } from 'zod';

import {
  IssueList,
  isObject,
  isoDateString,
  joinPointer,
  optionalIsoDateString,
  optionalNumber,
  optionalString,
  own,
  parseIsoDate,
  requiredString,
  type Item,
} from '#src/connectors/common.js';
import { clusterFromQuery, type ClusterContext } from '#src/connectors/kubernetes/cluster.js';
import { IndicatorSet } from '#src/connectors/kubernetes/miner-indicators.js';
import type { Parser, ResourceRef, Signal } from '#src/connectors/signal.js';
import { RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export const KUBERNETES_SOURCE = 'kubernetes';

/** MITRE ATT&CK Deploy Container: a miner shipped as a pod. */
export const DEPLOY_CONTAINER = 'T1610';

const objectError = (what: string) => (i: { input: unknown }) => (i.input === undefined ? 'is required' : `${what} must be an object`);

const stringList = z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' }).optional();

const containerSchema = z.looseObject(
  {
    name: requiredString,
    image: optionalString,
    command: stringList,
    args: stringList,
    env: z
      .array(z.looseObject({ name: requiredString, value: optionalString }, { error: 'an env entry must be an object' }), {
        error: 'must be an array',
      })
      .optional(),
  },
  { error: 'a container must be an object' },
);

const containerStatusSchema = z.looseObject(
  { name: optionalString, image: optionalString, imageID: optionalString, restartCount: optionalNumber },
  { error: 'a container status must be an object' },
);

const podSchema = z.looseObject(
  {
    metadata: z.looseObject(
      {
        name: requiredString,
        namespace: optionalString,
        uid: optionalString,
        creationTimestamp: isoDateString,
        resourceVersion: optionalString,
        ownerReferences: z
          .array(z.looseObject({ kind: optionalString, name: optionalString }, { error: 'must be an object' }), {
            error: 'must be an array',
          })
          .optional(),
      },
      { error: objectError('metadata') },
    ),
    spec: z.looseObject(
      {
        nodeName: optionalString,
        serviceAccountName: optionalString,
        containers: z.array(containerSchema, { error: (i) => (i.input === undefined ? 'is required' : 'must be an array') }),
        initContainers: z.array(containerSchema, { error: 'must be an array' }).optional(),
        ephemeralContainers: z.array(containerSchema, { error: 'must be an array' }).optional(),
      },
      { error: objectError('spec') },
    ),
    status: z
      .looseObject(
        {
          phase: optionalString,
          startTime: optionalIsoDateString,
          hostIP: optionalString,
          podIP: optionalString,
          containerStatuses: z.array(containerStatusSchema, { error: 'must be an array' }).optional(),
          initContainerStatuses: z.array(containerStatusSchema, { error: 'must be an array' }).optional(),
        },
        { error: 'status must be an object' },
      )
      .optional(),
  },
  { error: 'a Pod must be a JSON object' },
);

type Pod = z.infer<typeof podSchema>;

function indicatorsOf(pod: Pod): string[] {
  const set = new IndicatorSet();
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])];
  for (const c of containers) {
    set.image(c.image);
    for (const word of c.command ?? []) set.word('command', word);
    for (const word of c.args ?? []) set.word('args', word);
    for (const e of c.env ?? []) if (e.value) set.env(e.name, e.value);
  }
  // What actually ran: a tag in the spec can resolve to a different repository through a mirror.
  for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    set.image(s.image);
    set.image(s.imageID);
  }
  return set.list;
}

/** When the pod was last seen as it is: still running at the listing, or when its containers ended. */
function observedUntilOf(pod: Pod, observedAt: Date, receivedAt: Date): Date {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    const finished = (pod.status?.containerStatuses ?? [])
      .map((s) => parseIsoDate((own(s, 'state') as { terminated?: { finishedAt?: unknown } } | undefined)?.terminated?.finishedAt))
      .filter((d): d is Date => d !== null);
    const last = finished.reduce<Date | null>((a, d) => (a === null || d > a ? d : a), null);
    return last && last > observedAt ? last : observedAt;
  }
  return receivedAt > observedAt ? receivedAt : observedAt;
}

function toSignal(pod: Pod, found: string[], cluster: ClusterContext, receivedAt: Date, raw: unknown): Signal {
  const { metadata, spec, status } = pod;
  const namespace = metadata.namespace ?? 'default';
  const name = metadata.name;
  const observedAt = parseIsoDate(status?.startTime) ?? parseIsoDate(metadata.creationTimestamp)!;
  const observedUntil = observedUntilOf(pod, observedAt, receivedAt);
  const base = { provider: cluster.provider, accountId: cluster.accountId, region: cluster.region };
  const clusterId = cluster.cluster.id;
  const resources: ResourceRef[] = [{ ...base, type: 'k8s.pod', id: `${clusterId}/${namespace}/${name}` }];
  if (spec.nodeName) resources.push({ ...base, type: 'k8s.node', id: `${clusterId}/${spec.nodeName}` });
  resources.push(cluster.cluster);
  const images = [...new Set([...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.image).filter((i): i is string => !!i))];
  const owner = metadata.ownerReferences?.[0];
  const resourceVersion = metadata.resourceVersion && /^\d{1,20}$/.test(metadata.resourceVersion) ? metadata.resourceVersion : '0';
  return {
    source: KUBERNETES_SOURCE,
    sourceId: `${clusterId}/${namespace}/${name}/${metadata.uid ?? metadata.creationTimestamp}`,
    // resourceVersion grows with every change to the pod (restarts, phase): a later listing updates
    // the signal, the same listing again is a duplicate.
    sourceVersion: resourceVersion.padStart(20, '0'),
    kind: 'workload',
    provider: cluster.provider,
    accountId: cluster.accountId,
    region: cluster.region,
    observedAt: observedAt.toISOString(),
    observedUntil: observedUntil.toISOString(),
    severity: 'HIGH',
    title: `Pod ${namespace}/${name} in cluster ${cluster.name} runs a cryptominer (${found[0]})`,
    mining: true,
    resources,
    principal: null,
    cost: null,
    attributes: {
      namespace,
      pod: name,
      node: spec.nodeName ?? null,
      images,
      indicators: found,
      serviceAccount: spec.serviceAccountName ?? null,
      phase: status?.phase ?? null,
      uid: metadata.uid ?? null,
      owner: owner?.kind && owner.name ? `${owner.kind}/${owner.name}` : null,
      hostIP: status?.hostIP ?? null,
      podIP: status?.podIP ?? null,
      restarts: (status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0),
      cluster: clusterId,
      techniques: [RESOURCE_HIJACKING, DEPLOY_CONTAINER],
    },
    raw,
  };
}

/** The pods of a body, or an envelope issue. Items of other kinds come back with `pod: false`. */
function itemsOf(body: unknown, issues: IssueList): Array<Item & { pod: boolean }> {
  if (isObject(body)) {
    const kind = own(body, 'kind');
    if (kind === 'Pod') return [{ value: body, index: 0, pointer: '', pod: true }];
    if (kind === 'List' || kind === 'PodList') {
      const items = own(body, 'items');
      if (!Array.isArray(items)) {
        issues.add(null, '/items', items === undefined || items === null ? 'is required' : 'must be an array');
        return [];
      }
      return items.map((value, index) => {
        const itemKind = isObject(value) ? own(value, 'kind') : undefined;
        // API list items carry no kind; a kubectl List of several kinds names each.
        const pod =
          itemKind === 'Pod' || (itemKind === undefined && (kind === 'PodList' || (isObject(value) && isObject(own(value, 'spec')))));
        return { value, index, pointer: joinPointer('', ['items', index]), pod };
      });
    }
  }
  issues.add(null, '/kind', 'expected kubectl output: a List or PodList with items, or a Pod (kubectl get pods -o json)');
  return [];
}

export const parseKubernetesPods: Parser = (body, ctx) => {
  const issues = new IssueList();
  const cluster = clusterFromQuery(ctx.query, issues);
  const signals: Signal[] = [];
  let ignored = 0;
  for (const item of itemsOf(body, issues)) {
    if (!item.pod) {
      if (!isObject(item.value)) issues.add(item.index, item.pointer, 'a list item must be a JSON object');
      else ignored += 1;
      continue;
    }
    const result = podSchema.safeParse(item.value);
    if (!result.success) {
      issues.addZod(result.error, item);
      continue;
    }
    const found = indicatorsOf(result.data);
    if (found.length === 0) {
      ignored += 1;
      continue;
    }
    if (cluster) signals.push(toSignal(result.data, found, cluster, ctx.receivedAt, item.value));
  }
  issues.throwIfAny();
  return { signals, ignored };
};

/** Keyed by the `{source}` of `POST /v1/ingest/{source}`; `kubernetes/index.ts` re-exports it. */
export const kubernetesParsers: Record<string, Parser> = { [KUBERNETES_SOURCE]: parseKubernetesPods };
