/**
 * What in a pod spec names a miner: its images, command lines and environment. The general rules
 * (miner binary names, stratum URLs, `--donate-level`, pool domains) are the taxonomy's; this adds
 * the container images that run a miner without saying so in a way the taxonomy's whole-word
 * names catch.
 */
import { isPoolDomain, mentionsMinerProcess } from '#src/connectors/taxonomy.js';

/**
 * Docker Hub repositories (`owner/name`) and whole namespaces (`owner/`) that ship miners.
 * `metal3d/xmrig` is caught by name anyway and is listed for the record; `minerboy/` images carry
 * no miner name in theirs. Kept short on purpose: repository names are cheap to change, so the
 * command line and pool checks below do most of the work.
 */
export const KNOWN_MINER_IMAGES: readonly string[] = ['metal3d/xmrig', 'minerboy/'];

/**
 * The repository of an image reference without registry, tag or digest, as Docker Hub names it:
 * `docker.io/library/nginx:1.27` → `nginx`, `registry-1.docker.io/metal3d/xmrig@sha256:…` → `metal3d/xmrig`.
 * Other registries keep their host (`ghcr.io/org/app`).
 */
export function imageRepository(image: string): string {
  // Container statuses write image ids with the runtime's scheme (`docker-pullable://…`).
  let ref = image
    .trim()
    .toLowerCase()
    .replace(/^[a-z-]+:\/\//, '');
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  ref = ref.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  return ref.replace(/^library\//, '');
}

export function isKnownMinerImage(image: string): boolean {
  const repository = imageRepository(image);
  return KNOWN_MINER_IMAGES.some((known) => (known.endsWith('/') ? repository.startsWith(known) : repository === known));
}

/**
 * Host names inside a command-line word or an environment value: `-o pool.supportxmr.com:443`,
 * `--url=stratum+tcp://user@gulf.moneroocean.stream:10128`, a whole `sh -c` script.
 */
export function hostsIn(text: string): string[] {
  const hosts: string[] = [];
  for (const token of text.split(/[\s"'=,;|&()<>`]+/)) {
    const host = token
      .replace(/^[a-z0-9+.-]*:\/\//i, '')
      .replace(/^[^@/]*@/, '')
      .replace(/[/?#].*$/, '')
      .replace(/:\d+$/, '')
      .toLowerCase();
    if (/^[a-z0-9-]+(?:\.[a-z0-9-]+)+\.?$/.test(host) && /[a-z]/.test(host)) hosts.push(host.replace(/\.$/, ''));
  }
  return hosts;
}

const MAX_QUOTED = 160;

/** A word as an indicator quotes it: long `sh -c` scripts are cut. */
function quote(word: string): string {
  return word.length > MAX_QUOTED ? `${word.slice(0, MAX_QUOTED)}…` : word;
}

/** Collects indicators in the order found; each is `<what> <value>`, e.g. `image metal3d/xmrig:latest`, `pool pool.supportxmr.com`. */
export class IndicatorSet {
  private readonly found = new Set<string>();

  image(image: string | null | undefined): void {
    if (!image) return;
    if (isKnownMinerImage(image)) this.found.add(`known miner image ${image}`);
    else if (mentionsMinerProcess(image)) this.found.add(`image ${image}`);
  }

  /** A command or args word (`what` is `command` or `args`). */
  word(what: string, word: string): void {
    if (mentionsMinerProcess(word)) this.found.add(`${what} ${quote(word)}`);
    for (const host of hostsIn(word)) if (isPoolDomain(host)) this.found.add(`pool ${host}`);
  }

  env(name: string, value: string): void {
    if (mentionsMinerProcess(value) || hostsIn(value).some(isPoolDomain)) this.found.add(`env ${name}`);
    for (const host of hostsIn(value)) if (isPoolDomain(host)) this.found.add(`pool ${host}`);
  }

  get list(): string[] {
    return [...this.found];
  }
}
