/**
 * What cryptomining looks like, as data: GuardDuty finding types, stratum ports, pool domains,
 * miner binaries and the instance families miners rent. Every connector classifies through here
 * so the clouds agree on what "mining" means.
 */
import type { Severity } from '#src/connectors/signal.js';

/** MITRE ATT&CK Resource Hijacking: using the victim's compute to mine. */
export const RESOURCE_HIJACKING = 'T1496';

/**
 * GuardDuty finding types that are mining verdicts, with GuardDuty's documented default
 * severity (GuardDuty User Guide: EC2, Runtime Monitoring and Lambda Protection finding types).
 * There is no `Impact:Lambda/BitcoinDomainRequest.Reputation`: Lambda Protection reports mining
 * only as `CryptoCurrency:Lambda/BitcoinTool.B`.
 */
export const GUARDDUTY_MINING_TYPES: Readonly<Record<string, Severity>> = {
  'CryptoCurrency:EC2/BitcoinTool.B': 'HIGH',
  'CryptoCurrency:EC2/BitcoinTool.B!DNS': 'HIGH',
  'CryptoCurrency:Runtime/BitcoinTool.B': 'HIGH',
  'CryptoCurrency:Runtime/BitcoinTool.B!DNS': 'HIGH',
  'CryptoCurrency:Lambda/BitcoinTool.B': 'HIGH',
  'Impact:EC2/BitcoinDomainRequest.Reputation': 'HIGH',
  'Impact:Runtime/BitcoinDomainRequest.Reputation': 'HIGH',
  'Impact:Runtime/CryptoMinerExecuted': 'HIGH',
};

export interface GuardDutyClassification {
  mining: boolean;
  /** GuardDuty's default severity for the type, when the taxonomy knows it. */
  severity?: Severity;
  /** MITRE ATT&CK technique ids. */
  techniques: string[];
}

/**
 * Classifies a GuardDuty finding type. Listed types are mining; so are types GuardDuty adds later
 * under the `CryptoCurrency` threat purpose or naming a Bitcoin/crypto-miner family. Attack
 * sequences (`AttackSequence:…`) are context: whether one is about mining is decided from its
 * text with {@link mentionsMining}.
 */
export function classifyGuardDutyType(type: string): GuardDutyClassification {
  const known = Object.hasOwn(GUARDDUTY_MINING_TYPES, type) ? GUARDDUTY_MINING_TYPES[type] : undefined;
  if (known) return { mining: true, severity: known, techniques: [RESOURCE_HIJACKING] };
  if (type.startsWith('AttackSequence:')) return { mining: false, techniques: [] };
  const [purpose = '', rest = ''] = type.split(':', 2);
  const family = rest.split('/')[1] ?? '';
  const mining = purpose === 'CryptoCurrency' || /Bitcoin|CryptoMiner/i.test(family);
  return mining ? { mining, techniques: [RESOURCE_HIJACKING] } : { mining, techniques: [] };
}

/** Whether free text (a finding title, an attack sequence description) talks about mining. */
export function mentionsMining(text: string): boolean {
  return /\b(crypto-?mining|cryptocurrency|crypto-?miners?|coin-?miners?|bitcoin|monero|mining pools?)\b/i.test(text);
}

// ---------------------------------------------------------------------------------------------
// Network

/**
 * Ports mining pools serve stratum on. Ports that ordinary software also uses by default
 * (8080, 8888 for Jupyter, 9999) are left out on purpose: flow logs are filtered with this list
 * and those would let through far more noise than mining.
 */
export const STRATUM_PORTS: ReadonlySet<number> = new Set([
  3333, 3334, 3335, 3357, 4444, 5555, 7777, 14433, 14444, 20535, 20580, 45560, 45700,
]);

export function isStratumPort(port: number): boolean {
  return STRATUM_PORTS.has(port);
}

/** Registered domains of well-known pools; any subdomain (`gulf.moneroocean.stream`) matches. */
export const POOL_DOMAINS: readonly string[] = [
  '2miners.com',
  'antpool.com',
  'c3pool.com',
  'dwarfpool.com',
  'ethermine.org',
  'f2pool.com',
  'flexpool.io',
  'hashvault.pro',
  'herominers.com',
  'hiveon.net',
  'kryptex.network',
  'minergate.com',
  'minexmr.com',
  'miningpoolhub.com',
  'moneroocean.stream',
  'nanopool.org',
  'nicehash.com',
  'poolbinance.com',
  'supportxmr.com',
  'unmineable.com',
  'viabtc.com',
  'woolypooly.com',
  'xmrig.com',
  'xmrpool.eu',
  'zpool.ca',
];

const POOL_DOMAIN_SET = new Set(POOL_DOMAINS);

/**
 * Whether a DNS name (or a stratum URL such as `stratum+tcp://pool.supportxmr.com:3333`) belongs
 * to a known pool. Matching is by whole labels: `notnanopool.org` is not `nanopool.org`.
 */
export function isPoolDomain(name: string): boolean {
  const host = name
    .trim()
    .toLowerCase()
    .replace(/^[a-z0-9+.-]*:\/\//, '')
    .replace(/[/?#].*$/, '')
    .replace(/:\d+$/, '')
    .replace(/\.$/, '');
  const labels = host.split('.');
  for (let i = 0; i < labels.length - 1; i += 1) {
    if (POOL_DOMAIN_SET.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Processes and images

/** Miner binaries and container images, and command-line markers only miners use. */
export const MINER_NAMES: readonly string[] = [
  'bfgminer',
  'ccminer',
  'cgminer',
  'cpuminer',
  'cpuminer-multi',
  'ethminer',
  'gminer',
  'kawpowminer',
  'lolminer',
  'minerd',
  'nanominer',
  'nbminer',
  'phoenixminer',
  'srbminer',
  'srbminer-multi',
  't-rex',
  'teamredminer',
  'xmr-stak',
  'xmr-stak-rx',
  'xmrig',
];

export const MINER_MARKERS: readonly string[] = ['stratum+tcp://', 'stratum+ssl://', 'stratum2+tcp://', '--donate-level'];

// Whole names only: `t-rex` must not match `t-rex-runner`, nor `minerd` match `minerdashboard`.
const MINER_NAME_PATTERN = new RegExp(`(^|[^a-z0-9-])(${MINER_NAMES.join('|')})($|[^a-z0-9-])`);

/** Whether a process name, command line or image reference names a miner (`xmrig/xmrig:6.21`). */
export function mentionsMinerProcess(text: string): boolean {
  const lower = text.toLowerCase();
  return MINER_MARKERS.some((m) => lower.includes(m)) || MINER_NAME_PATTERN.test(lower);
}

// ---------------------------------------------------------------------------------------------
// Instance types

type Cloud = 'aws' | 'azure' | 'gcp';

function parseInstanceType(instanceType: string): { cloud: Cloud; family: string } | null {
  const name = instanceType.trim();
  const azure = /^(?:standard|basic)_([a-z]+)\d/i.exec(name);
  if (azure) return { cloud: 'azure', family: azure[1]!.toUpperCase() };
  const aws = /^(?:ml\.)?([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.[a-z0-9-]+$/.exec(name);
  if (aws) return { cloud: 'aws', family: aws[1]! };
  const gcp = /^([a-z][a-z0-9]*)-[a-z0-9-]+$/.exec(name);
  if (gcp) return { cloud: 'gcp', family: gcp[1]! };
  return null;
}

/**
 * The family of an instance type: AWS `p3.8xlarge` → `p3` (`ml.p3.2xlarge` → `p3`,
 * `p6-b200.48xlarge` → `p6-b200`), GCP `a2-highgpu-1g` → `a2`, Azure `Standard_NC6s_v3` → `NC`
 * (the series letters).
 */
export function instanceFamilyOf(instanceType: string): string | null {
  return parseInstanceType(instanceType)?.family ?? null;
}

/**
 * GPU families: AWS P and G (including `gr6`), Azure N-series with GPUs (NC, ND, NG, NV), GCP
 * accelerator-optimized (a2, a3, a4, g2, g4). Patterns rather than a fixed list, so the next
 * generation (p6, g7) is recognised without a release.
 */
const GPU_FAMILIES: Readonly<Record<Cloud, RegExp>> = {
  aws: /^(?:p\d+[a-z]*(?:-[a-z0-9]+)?|gr?\d+[a-z]*)$/,
  azure: /^(?:NC|ND|NG|NV)$/,
  gcp: /^(?:a\d+[a-z]*|g\d+)$/,
};

/**
 * Compute-optimized CPU families, which miners rent for CPU coins (Monero): AWS C and HPC,
 * Azure F and the H-series HPC sizes, GCP C2/C3/C4 and H3. Per cloud because the same letters
 * mean different things (AWS `h1` is storage-optimized, GCP `h3` compute-optimized).
 */
const COMPUTE_FAMILIES: Readonly<Record<Cloud, RegExp>> = {
  aws: /^(?:c\d+[a-z]*(?:-flex)?|hpc\d+[a-z]*)$/,
  azure: /^(?:F|FX|HB|HC|HX)$/,
  gcp: /^(?:c\d+[a-z]*|h\d+[a-z]*)$/,
};

export function isGpuInstanceType(instanceType: string): boolean {
  const parsed = parseInstanceType(instanceType);
  return parsed !== null && GPU_FAMILIES[parsed.cloud].test(parsed.family);
}

export function isComputeInstanceType(instanceType: string): boolean {
  const parsed = parseInstanceType(instanceType);
  return parsed !== null && COMPUTE_FAMILIES[parsed.cloud].test(parsed.family);
}

const INSTANCE_SIZE = /^(?:nano|micro|small|medium|large|xlarge|\d+xlarge|metal(?:-\d+xl)?)$/;

/** Whether a string has the shape of an EC2 (or SageMaker `ml.`) instance type name. */
export function isAwsInstanceType(value: string): boolean {
  const m = /^(?:ml\.)?[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.([a-z0-9-]+)$/.exec(value);
  return m !== null && INSTANCE_SIZE.test(m[1]!);
}

/**
 * The instance type a billing usage type names: `USE1-BoxUsage:p3.8xlarge`, `BoxUsage:p3.8xlarge`,
 * `USW2-SpotUsage:g4dn.xlarge`, `DedicatedUsage:c5.large`, SageMaker `USE1-Train:ml.p3.2xlarge`.
 * Usage types that name no instance (`USE1-DataTransfer-Regional-Bytes`, `EBS:VolumeUsage.gp3`) give null.
 */
export function usageTypeInstanceType(usageType: string): string | null {
  const colon = usageType.lastIndexOf(':');
  if (colon < 0) return null;
  const candidate = usageType.slice(colon + 1).trim();
  return isAwsInstanceType(candidate) ? candidate : null;
}
