/**
 * What cryptomining looks like in Azure's own vocabulary: Defender for Cloud alert types, the ARM
 * operations that start paid compute, the Azure Monitor metrics that show a pinned CPU or GPU.
 * The cloud-neutral parts (miner names, pool domains, instance families) stay in taxonomy.ts.
 */
import type { Severity } from '#src/connectors/signal.js';
import { mentionsMining, RESOURCE_HIJACKING } from '#src/connectors/taxonomy.js';

/**
 * Defender for Cloud alert types that report mining, with the severity Defender documents for
 * them (Microsoft Learn, "Alerts for containers – Kubernetes clusters", "Alerts for Linux
 * machines", "Alerts for Azure App Service", "Alerts for DNS", "Alerts for Azure VM extensions" and
 * "Deprecated security alerts"; the VM_ process alerts are in the deprecated list now, but alerts
 * already raised, and exports of them, still carry those types).
 */
export const DEFENDER_MINING_ALERT_TYPES: Readonly<Record<string, Severity>> = {
  // Defender for Containers, node runtime (K8S.NODE_) and control plane (K8S_)
  'K8S.NODE_DigitalCurrencyMining': 'HIGH',
  'K8S.NODE_CryptoCoinMinerArtifacts': 'MEDIUM',
  'K8S.NODE_CryptoCoinMinerDownload': 'MEDIUM',
  'K8S.NODE_CryptoCoinMinerExecution': 'MEDIUM',
  'K8S.NODE_CurrencyMining': 'LOW',
  K8S_MaliciousContainerImage: 'HIGH',
  // Defender for Servers
  VM_DigitalCurrencyMining: 'HIGH',
  VM_CryptoCoinMinerArtifacts: 'MEDIUM',
  VM_CryptoCoinMinerDownload: 'MEDIUM',
  VM_CryptoCoinMinerExecution: 'MEDIUM',
  VM_MinerInContainerImage: 'HIGH',
  // GPU driver extensions installed the way cryptojackers do (tactic Impact)
  VM_GPUExtensionSuspiciousFailure: 'MEDIUM',
  VM_GPUDriverExtensionUnusualExecution: 'LOW',
  // Defender for App Service
  AppServices_DigitalCurrencyMining: 'HIGH',
  AppServices_CryptoCoinMinerDownload: 'MEDIUM',
  // Defender for DNS
  AzureDNS_CurrencyMining: 'LOW',
};

// Alert types Defender adds later follow the same naming (…DigitalCurrencyMining, …CryptoCoinMiner…).
const MINING_TYPE_PATTERN = /CurrencyMining|CoinMiner|MinerIn|CryptoMining|Cryptojack/i;

// Defender's display names say "digital currency mining" and "Cryptocoinminer", which the neutral
// mentionsMining() does not match; Defender for Endpoint alerts relayed through Defender say "CoinMiner".
const AZURE_MINING_TEXT =
  /\b(digital currency mining|crypto-?coin-?miners?|cryptocoinminers?|coin-?miners?|crypto-?jacking|cryptocurrency mining)\b/i;

/** Whether free text (an alert's display name or description) talks about mining. */
export function mentionsAzureMining(text: string): boolean {
  return AZURE_MINING_TEXT.test(text) || mentionsMining(text);
}

export interface DefenderClassification {
  mining: boolean;
  /** Whether the type itself says so (as opposed to the alert's text). */
  byType: boolean;
  techniques: string[];
}

/** Classifies a Defender alert type, falling back on its display name and description. */
export function classifyDefenderAlert(alertType: string, text: string): DefenderClassification {
  const byType = Object.hasOwn(DEFENDER_MINING_ALERT_TYPES, alertType) || MINING_TYPE_PATTERN.test(alertType);
  const mining = byType || mentionsAzureMining(text);
  return { mining, byType, techniques: mining ? [RESOURCE_HIJACKING] : [] };
}

/** Defender's test alerts (`VM_EICAR`, `K8S.NODE_EICAR`, `AppServices_EICAR` …) are "not a threat". */
export function isDefenderTestAlert(alertType: string): boolean {
  return /(^|[_.])EICAR$/i.test(alertType);
}

// ---------------------------------------------------------------------------------------------
// ARM operations

/**
 * ARM operations that start or enlarge paid compute when they succeed: what an attacker holding a
 * leaked credential calls to mine. Lower case, as operation names are compared case-insensitively
 * (the Activity Log export upper-cases them).
 */
export const COST_INCURRING_OPERATIONS: ReadonlySet<string> = new Set([
  'microsoft.compute/virtualmachines/write',
  'microsoft.compute/virtualmachines/start/action',
  'microsoft.compute/virtualmachinescalesets/write',
  'microsoft.compute/virtualmachinescalesets/start/action',
  'microsoft.compute/virtualmachinescalesets/virtualmachines/start/action',
  'microsoft.containerservice/managedclusters/write',
  'microsoft.containerservice/managedclusters/agentpools/write',
  'microsoft.containerservice/managedclusters/start/action',
  'microsoft.containerinstance/containergroups/write',
  'microsoft.containerinstance/containergroups/start/action',
  'microsoft.batch/batchaccounts/pools/write',
  'microsoft.web/sites/write',
  'microsoft.web/serverfarms/write',
  'microsoft.machinelearningservices/workspaces/computes/write',
  'microsoft.app/containerapps/write',
  'microsoft.app/jobs/write',
]);

// ---------------------------------------------------------------------------------------------
// Metrics

/**
 * Azure Monitor metric names (compared case-insensitively) → the cloud-neutral metric name in
 * `attributes.metric`. All are percentages. `Percentage CPU` is the host metric of VMs and scale
 * sets; `node_cpu_usage_percentage` AKS's per-node platform metric; `CpuPercentage` an App Service
 * plan's (and a Container App's); `GpuUtilization` Azure Machine Learning's per-node GPU metric;
 * `GpuUtilizationPercentage` is taken to be the same for the resources that name it so.
 */
export const TRACKED_AZURE_METRICS: Readonly<Record<string, 'cpu_utilization' | 'gpu_utilization'>> = {
  'percentage cpu': 'cpu_utilization',
  node_cpu_usage_percentage: 'cpu_utilization',
  cpupercentage: 'cpu_utilization',
  gpuutilization: 'gpu_utilization',
  gpuutilizationpercentage: 'gpu_utilization',
};

export function trackedAzureMetric(name: string): 'cpu_utilization' | 'gpu_utilization' | null {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(TRACKED_AZURE_METRICS, key) ? TRACKED_AZURE_METRICS[key]! : null;
}
