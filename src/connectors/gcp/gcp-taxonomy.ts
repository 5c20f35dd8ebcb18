/**
 * What cryptomining looks like in Google Cloud's own vocabulary: the Security Command Center
 * categories that are mining verdicts, SCC's MITRE ATT&CK technique names, the audit-log methods
 * that start paid capacity, and the SKU descriptions that bill GPUs. The cloud-neutral taxonomy
 * (pool domains, miner names, instance families) stays in `connectors/taxonomy.ts`.
 */
import type { Severity } from '#src/connectors/signal.js';
import { mentionsMining, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

export interface SccMiningCategory {
  /** The detector's documented default severity. */
  severity: Severity;
  /** The SCC service that reports it. */
  detector: 'VM Threat Detection' | 'Event Threat Detection';
  /** The module or rule API name, as the detector settings and mute rules spell it. */
  module: string;
}

/**
 * SCC finding categories that are mining verdicts, with their default severities, as documented in
 * "Security sources" (VM Threat Detection cryptocurrency mining threat findings), "Event Threat
 * Detection rules" (Malware: Cryptomining Bad Domain/IP) and "Cloud Run threat findings" (control
 * plane detectors, reported by Event Threat Detection). A finding's `category` carries the display
 * name; the module names are listed so a category spelled that way is still recognised.
 */
export const SCC_MINING_CATEGORIES: Readonly<Record<string, SccMiningCategory>> = {
  'Execution: Cryptocurrency Mining Hash Match': { severity: 'HIGH', detector: 'VM Threat Detection', module: 'CRYPTOMINING_HASH' },
  'Execution: Cryptocurrency Mining YARA Rule': { severity: 'HIGH', detector: 'VM Threat Detection', module: 'CRYPTOMINING_YARA' },
  'Execution: Cryptocurrency Mining Combined Detection': {
    severity: 'HIGH',
    detector: 'VM Threat Detection',
    module: 'CRYPTOMINING_HASH+CRYPTOMINING_YARA',
  },
  'Malware: Cryptomining Bad Domain': { severity: 'LOW', detector: 'Event Threat Detection', module: 'CRYPTOMINING_POOL_DOMAIN' },
  'Malware: Cryptomining Bad IP': { severity: 'LOW', detector: 'Event Threat Detection', module: 'CRYPTOMINING_POOL_IP' },
  'Execution: Cryptomining Docker Image': {
    severity: 'HIGH',
    detector: 'Event Threat Detection',
    module: 'CLOUD_RUN_CRYPTOMINING_DOCKER_IMAGES',
  },
  'Impact: Cryptomining Commands': {
    severity: 'HIGH',
    detector: 'Event Threat Detection',
    module: 'CLOUD_RUN_JOBS_CRYPTOMINING_COMMANDS',
  },
};

const MINING_BY_NAME = new Map<string, SccMiningCategory>(
  Object.entries(SCC_MINING_CATEGORIES).flatMap(([name, c]) => [
    [name.toLowerCase(), c],
    ...c.module.split('+').map((m) => [m.toLowerCase(), c] as [string, SccMiningCategory]),
  ]),
);

export interface SccClassification {
  mining: boolean;
  /** The documented default severity, for the listed categories. */
  severity?: Severity;
}

/**
 * Classifies an SCC category. Listed categories are mining; so is a category added later whose name
 * talks about mining (`mentionsMining` matches "Cryptomining" and "Cryptocurrency"), so a new
 * detector is recognised without a release.
 */
export function classifySccCategory(category: string): SccClassification {
  const known = MINING_BY_NAME.get(category.trim().toLowerCase());
  if (known) return { mining: true, severity: known.severity };
  return { mining: mentionsMining(category) };
}

// ---------------------------------------------------------------------------------------------
// MITRE ATT&CK

/**
 * SCC's `MitreAttack.Technique` enum names and the ATT&CK ids they stand for, copied from the
 * comments of google/cloud/securitycenter/v2/mitre_attack.proto (the v1 enum uses the same names).
 */
export const SCC_MITRE_TECHNIQUES: Readonly<Record<string, string>> = {
  MASQUERADING: 'T1036',
  MATCH_LEGITIMATE_NAME_OR_LOCATION: 'T1036.005',
  BOOT_OR_LOGON_INITIALIZATION_SCRIPTS: 'T1037',
  STARTUP_ITEMS: 'T1037.005',
  NETWORK_SERVICE_DISCOVERY: 'T1046',
  PROCESS_DISCOVERY: 'T1057',
  COMMAND_AND_SCRIPTING_INTERPRETER: 'T1059',
  UNIX_SHELL: 'T1059.004',
  PERMISSION_GROUPS_DISCOVERY: 'T1069',
  CLOUD_GROUPS: 'T1069.003',
  APPLICATION_LAYER_PROTOCOL: 'T1071',
  DNS: 'T1071.004',
  SOFTWARE_DEPLOYMENT_TOOLS: 'T1072',
  VALID_ACCOUNTS: 'T1078',
  DEFAULT_ACCOUNTS: 'T1078.001',
  LOCAL_ACCOUNTS: 'T1078.003',
  CLOUD_ACCOUNTS: 'T1078.004',
  PROXY: 'T1090',
  EXTERNAL_PROXY: 'T1090.002',
  MULTI_HOP_PROXY: 'T1090.003',
  ACCOUNT_MANIPULATION: 'T1098',
  ADDITIONAL_CLOUD_CREDENTIALS: 'T1098.001',
  SSH_AUTHORIZED_KEYS: 'T1098.004',
  ADDITIONAL_CONTAINER_CLUSTER_ROLES: 'T1098.006',
  INGRESS_TOOL_TRANSFER: 'T1105',
  NATIVE_API: 'T1106',
  BRUTE_FORCE: 'T1110',
  SHARED_MODULES: 'T1129',
  ACCESS_TOKEN_MANIPULATION: 'T1134',
  TOKEN_IMPERSONATION_OR_THEFT: 'T1134.001',
  EXPLOIT_PUBLIC_FACING_APPLICATION: 'T1190',
  DOMAIN_POLICY_MODIFICATION: 'T1484',
  DATA_DESTRUCTION: 'T1485',
  SERVICE_STOP: 'T1489',
  INHIBIT_SYSTEM_RECOVERY: 'T1490',
  RESOURCE_HIJACKING: RESOURCE_HIJACKING,
  NETWORK_DENIAL_OF_SERVICE: 'T1498',
  CLOUD_SERVICE_DISCOVERY: 'T1526',
  STEAL_APPLICATION_ACCESS_TOKEN: 'T1528',
  ACCOUNT_ACCESS_REMOVAL: 'T1531',
  STEAL_WEB_SESSION_COOKIE: 'T1539',
  CREATE_OR_MODIFY_SYSTEM_PROCESS: 'T1543',
  ABUSE_ELEVATION_CONTROL_MECHANISM: 'T1548',
  UNSECURED_CREDENTIALS: 'T1552',
  MODIFY_AUTHENTICATION_PROCESS: 'T1556',
  IMPAIR_DEFENSES: 'T1562',
  DISABLE_OR_MODIFY_TOOLS: 'T1562.001',
  EXFILTRATION_OVER_WEB_SERVICE: 'T1567',
  EXFILTRATION_TO_CLOUD_STORAGE: 'T1567.002',
  DYNAMIC_RESOLUTION: 'T1568',
  LATERAL_TOOL_TRANSFER: 'T1570',
  MODIFY_CLOUD_COMPUTE_INFRASTRUCTURE: 'T1578',
  CREATE_SNAPSHOT: 'T1578.001',
  CLOUD_INFRASTRUCTURE_DISCOVERY: 'T1580',
  OBTAIN_CAPABILITIES: 'T1588',
  ACTIVE_SCANNING: 'T1595',
  SCANNING_IP_BLOCKS: 'T1595.001',
  CONTAINER_AND_RESOURCE_DISCOVERY: 'T1613',
};

const ATTACK_ID = /^T\d{4}(?:\.\d{3})?$/;

/**
 * ATT&CK ids of SCC technique names (`RESOURCE_HIJACKING` → `T1496`) or of ids given as such
 * (`T1496`, or an attack.mitre.org technique URL), in first-seen order without repeats. Names
 * SCC adds later and that are not in the table are left out rather than guessed.
 */
export function attackTechniqueIds(values: readonly string[]): string[] {
  const ids: string[] = [];
  for (const value of values) {
    const url = /attack\.mitre\.org\/techniques\/(T\d{4})(?:\/(\d{3}))?/.exec(value);
    const id = url
      ? url[2]
        ? `${url[1]}.${url[2]}`
        : url[1]!
      : ATTACK_ID.test(value)
        ? value
        : Object.hasOwn(SCC_MITRE_TECHNIQUES, value)
          ? SCC_MITRE_TECHNIQUES[value]!
          : null;
    if (id && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Audit log methods

/** `v1.compute.instances.insert`, `beta.compute.instances.insert` → `compute.instances.insert`. */
export function normalizeMethodName(methodName: string): string {
  return methodName
    .replace(/^(?:v\d+|beta|alpha)\.(?=compute\.)/, '')
    .replace(/^google\.container\.v1(?:alpha1|beta1)?\./, 'google.container.')
    .replace(/^google\.cloud\.run\.v\d+\./, 'google.cloud.run.');
}

/**
 * Calls (normalized with {@link normalizeMethodName}) that start or enlarge paid compute: what a
 * leaked service-account key is used for to mine. Compute Engine names come from the Compute API
 * method ids; GKE from the ClusterManager LROs in the GKE audit logging page; Cloud Run from its
 * audit logging page (`RunJob` is a Data Access entry, logged only when Data Access logs are on).
 */
export const COST_INCURRING_METHODS: ReadonlySet<string> = new Set([
  'compute.instances.insert',
  'compute.instances.bulkInsert',
  'compute.regionInstances.bulkInsert',
  'compute.instances.start',
  'compute.instances.resume',
  'compute.instances.setMachineType',
  'compute.instanceGroupManagers.insert',
  'compute.instanceGroupManagers.resize',
  'compute.regionInstanceGroupManagers.insert',
  'compute.regionInstanceGroupManagers.resize',
  'google.container.ClusterManager.CreateCluster',
  'google.container.ClusterManager.CreateNodePool',
  'google.container.ClusterManager.SetNodePoolSize',
  'google.cloud.run.Services.CreateService',
  'google.cloud.run.Services.ReplaceService',
  'google.cloud.run.Services.UpdateService',
  'google.cloud.run.Jobs.CreateJob',
  'google.cloud.run.Jobs.ReplaceJob',
  'google.cloud.run.Jobs.UpdateJob',
  'google.cloud.run.Jobs.RunJob',
]);

// ---------------------------------------------------------------------------------------------
// Billing SKUs

/**
 * Whether a billing SKU description bills GPUs: the accelerator SKUs say "GPU" (`Nvidia Tesla T4
 * GPU running in Americas`), the accelerator-optimized machine families bill their bundled GPUs
 * as instance core and RAM SKUs (`A2 Instance Core running in Americas`).
 */
export function skuBillsGpu(description: string): boolean {
  return /\bGPUs?\b/i.test(description) || /^(?:A|G)\d+\b.*\bInstance (?:Core|Ram)\b/i.test(description);
}
