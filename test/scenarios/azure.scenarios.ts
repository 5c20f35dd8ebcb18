import { readFixture } from '../support/fixtures.js';
import { azureCostQuery, wobble } from './builders/cost.js';
import type { Scenario } from './scenario.js';

/** Azure scenarios from the real-shaped fixtures in test/fixtures/azure (READMEs name the sources). */
const SUBSCRIPTION = '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b';

/** Defender for Containers sees mining on an AKS node; the node pool's scale set runs hot. */
export const azureAksMiner: Scenario = {
  name: 'azure-aks-node-mining',
  description: 'Defender K8S.NODE_DigitalCurrencyMining on an AKS node pool; Percentage CPU of its scale set near 100 %.',
  steps: [
    { source: 'azure.defender', body: readFixture('azure/defender/alerts-list-aks-mining.json') },
    { source: 'azure.monitor', body: readFixture('azure/monitor/metrics-vmss-percentage-cpu-by-instance.json') },
    {
      source: 'azure.cost',
      note: 'a day later: the subscription cost by resource since February; the autoscaler took the node pool from 2 to 12 D8s v3 nodes on the day of the alerts',
      body: azureCostQuery(SUBSCRIPTION, '2024-02-01', '2024-03-12', [
        {
          resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/web-rg/providers/Microsoft.Compute/virtualMachines/web-01`,
          service: 'Virtual Machines',
          subCategory: 'Dv3/DSv3 Series',
          meter: 'D4 v3/D4s v3',
          location: 'eastus',
          cost: () => 4.608,
        },
        {
          resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/MC_aks-prod-rg_aks-prod-01_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-27354651-vmss`,
          service: 'Virtual Machines',
          subCategory: 'Dv3/DSv3 Series',
          meter: 'D8 v3/D8s v3',
          location: 'westeurope',
          cost: (day, i) => (day.toISOString().startsWith('2024-03-12') ? 12 * 9.216 : 2 * 9.216 * wobble(i)),
        },
      ]),
    },
  ],
  // The detector's impact: 12 nodes' day (110.59) over the pool's usual 2 (18.43).
  campaigns: [{ name: 'AKS miner', account: SUBSCRIPTION, minSeverity: 'HIGH', cost: 92.2 }],
};

/** A leaked service principal creates a GPU VM (Activity Log), Defender flags mining on it, CPU pinned. */
export const azureLeakedPrincipalVm: Scenario = {
  name: 'azure-leaked-principal-gpu-vm',
  description: 'Activity Log writes by a leaked service principal, Defender VM_DigitalCurrencyMining (continuous export), Percentage CPU.',
  steps: [
    { source: 'azure.activity-log', body: readFixture('azure/activity-log/records-leaked-sp-gpu-and-miner.json') },
    { source: 'azure.defender', body: readFixture('azure/defender/continuous-export-vm-digital-currency-mining.json') },
    { source: 'azure.monitor', body: readFixture('azure/monitor/metrics-vm-percentage-cpu-high.json') },
  ],
  campaigns: [{ name: 'GPU VM and container group from a leaked principal', account: SUBSCRIPTION, minSeverity: 'HIGH' }],
};

/** Look-alike: a GPU VM written by the usual automation and running hot, with no Defender alert. */
export const azureGpuWorkloadLookalike: Scenario = {
  name: 'azure-gpu-workload-lookalike',
  description: 'Activity Log write of a GPU VM and Percentage CPU near 100 %, without any Defender alert.',
  steps: [
    { source: 'azure.activity-log', body: readFixture('azure/activity-log/rest-list-gpu-vm-write.json') },
    { source: 'azure.monitor', body: readFixture('azure/monitor/metrics-vm-percentage-cpu-high.json') },
  ],
  campaigns: [],
};

export const azureScenarios: Scenario[] = [azureAksMiner, azureLeakedPrincipalVm, azureGpuWorkloadLookalike];
