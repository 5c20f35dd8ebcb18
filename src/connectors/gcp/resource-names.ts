/**
 * Google Cloud resource names, turned into the canonical ids the correlation engine links signals
 * on. Every GCP source names the same VM differently (SCC a full resource name, audit logs a
 * relative name, Monitoring labels, billing a global name with numbers), so they all go through
 * here and agree on one spelling:
 *
 * | type                   | id                                                                   |
 * |------------------------|----------------------------------------------------------------------|
 * | `gcp.compute.instance` | `//compute.googleapis.com/projects/{project}/zones/{zone}/instances/{name}` |
 * | `gcp.gke.cluster`      | `//container.googleapis.com/projects/{project}/locations/{location}/clusters/{cluster}` |
 * | `gcp.run.service`      | `//run.googleapis.com/projects/{project}/locations/{location}/services/{name}` |
 * | `gcp.run.job`          | `//run.googleapis.com/projects/{project}/locations/{location}/jobs/{name}` |
 */
import type { ResourceRef } from '#src/connectors/signal.js';

const ZONE = /^([a-z]+-[a-z]+\d+)-[a-z]$/;
const REGION = /^[a-z]+-[a-z]+\d+$/;

/** `us-central1-a` → `us-central1`; a region stays itself; anything else (`global`, `us`) is null. */
export function regionOf(location: string | null | undefined): string | null {
  if (!location) return null;
  const trimmed = location.trim().toLowerCase();
  const zone = ZONE.exec(trimmed);
  if (zone) return zone[1]!;
  return REGION.test(trimmed) ? trimmed : null;
}

/** The last path segment of a URL or resource name (`…/machineTypes/a2-highgpu-8g` → `a2-highgpu-8g`). */
export function lastSegment(value: string): string {
  const trimmed = value.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The project segment of any resource name, URL or full resource name (`projects/{p}/…`). */
export function projectOf(name: string | null | undefined): string | null {
  if (!name) return null;
  return /(?:^|\/)projects\/([^/]+)/.exec(name)?.[1] ?? null;
}

/** Project numbers are all digits; project ids start with a letter. */
export function isProjectNumber(value: string): boolean {
  return /^\d+$/.test(value);
}

export function computeInstanceId(project: string, zone: string, name: string): string {
  return `//compute.googleapis.com/projects/${project}/zones/${zone}/instances/${name}`;
}

export function gkeClusterId(project: string, location: string, cluster: string): string {
  return `//container.googleapis.com/projects/${project}/locations/${location}/clusters/${cluster}`;
}

export function runResourceId(project: string, location: string, kind: 'services' | 'jobs', name: string): string {
  return `//run.googleapis.com/projects/${project}/locations/${location}/${kind}/${name}`;
}

/** A resource a name points at, before the account is attached. */
export interface NamedResource {
  type: string;
  id: string;
  project: string;
  region: string | null;
}

/** Containers of everything, not things a signal is about: correlating on them would link everything in a project. */
const HIERARCHY = /^\/\/cloudresourcemanager\.googleapis\.com\/(?:projects|folders|organizations)\/[^/]+$/;

/** `instanceGroupManagers` → `instance-group-manager`, the spelling of other connectors' kinds (`aws.iam.access-key`). */
function kindOf(collection: string): string {
  const one = collection.endsWith('ies')
    ? `${collection.slice(0, -3)}y`
    : collection.endsWith('sses')
      ? collection.slice(0, -2)
      : collection.endsWith('s')
        ? collection.slice(0, -1)
        : collection;
  return one.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * The resource a full resource name (`//compute.googleapis.com/projects/p/zones/z/instances/vm`)
 * or a relative one (`projects/p/zones/z/instances/vm`, with `service` saying whose) names, in its
 * canonical form. `project` replaces the name's own project segment when that is a project number,
 * so ids agree across sources that spell the project differently. Projects, folders and
 * organizations give null; so does a name with no project.
 */
export function resourceFromName(name: string, options: { service?: string; project?: string | null } = {}): NamedResource | null {
  const full = /^\/\/([a-z0-9.-]+)\/(.+)$/.exec(name.trim());
  const host = full ? full[1]! : (options.service ?? null);
  const path = (full ? full[2]! : name.trim()).replace(/^\/+/, '');
  if (!host || HIERARCHY.test(`//${host}/${path}`)) return null;
  const segments = path.split('/');
  if (segments[0] !== 'projects' || !segments[1]) return null;
  const own = segments[1];
  const project = isProjectNumber(own) && options.project ? options.project : own;
  const [, , scope, location, collection, id] = segments;

  if (host === 'compute.googleapis.com' && scope === 'zones' && location && collection === 'instances' && id) {
    return { type: 'gcp.compute.instance', id: computeInstanceId(project, location, id), project, region: regionOf(location) };
  }
  if (host === 'container.googleapis.com' && (scope === 'zones' || scope === 'locations') && location && collection === 'clusters' && id) {
    // GKE's v1beta1-era names say zones/, the v1 API locations/; the canonical form is locations/.
    return { type: 'gcp.gke.cluster', id: gkeClusterId(project, location, id), project, region: regionOf(location) };
  }
  if (host === 'run.googleapis.com' && scope === 'locations' && location && (collection === 'services' || collection === 'jobs') && id) {
    return {
      type: collection === 'services' ? 'gcp.run.service' : 'gcp.run.job',
      id: runResourceId(project, location, collection, id),
      project,
      region: regionOf(location),
    };
  }
  // Anything else keeps its own name: collection/id pairs after the project (`global` has no id).
  const pairs = segments.filter((s) => s !== 'global');
  if (pairs.length < 4 || pairs.length % 2 !== 0) return null;
  const service = host.replace(/\.googleapis\.com$/, '').replace(/[^a-z0-9]+/g, '-');
  const kind = kindOf(pairs[pairs.length - 2]!);
  const rest = [...segments];
  rest[1] = project;
  const region = scope === 'zones' || scope === 'regions' || scope === 'locations' ? regionOf(location) : null;
  return { type: `gcp.${service}.${kind}`, id: `//${host}/${rest.join('/')}`, project, region };
}

/** Attaches the provider and account to a named resource. */
export function toResourceRef(resource: NamedResource, instanceType?: string | null): ResourceRef {
  return {
    provider: 'gcp',
    accountId: resource.project,
    region: resource.region,
    type: resource.type,
    id: resource.id,
    ...(instanceType !== undefined ? { instanceType } : {}),
  };
}
