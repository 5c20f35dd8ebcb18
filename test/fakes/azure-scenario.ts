import { readFixture } from '../support/fixtures.js';
import type { AzureCostRow, AzureFakeData } from './azure-fake.js';

/**
 * "A miner on an AKS node": Defender for Cloud's `K8S.NODE_DigitalCurrencyMining` on aks-prod-01
 * and `VM_CryptoCoinMinerExecution` on its node vmss000003, the node pool's Percentage CPU per
 * instance, and an Activity Log GPU VM write, from the Azure fixtures moved from March 2024 to the
 * week before this run; plus five weeks of the subscription's daily cost per resource, with the
 * node pool's spend jumping the day the miner ran (the autoscaler added nodes).
 */
export const AZURE_SCENARIO = {
  subscription: '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b',
  cluster: 'aks-prod-01',
  scaleSet:
    '/subscriptions/6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b/resourceGroups/MC_aks-prod-rg_aks-prod-01_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-27354651-vmss',
  fixtureDay: Date.parse('2024-03-12T00:00:00Z'),
  day: Math.floor(Date.now() / 86_400_000) * 86_400_000 - 7 * 86_400_000,
};

const SHIFT = AZURE_SCENARIO.day - AZURE_SCENARIO.fixtureDay;

function shifted<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) return v;
    // Keep ARM's seven-digit fractions: the parsers read the string as ARM writes it.
    const fraction = /\.(\d+)Z$/.exec(v)?.[1];
    const moved = new Date(Date.parse(v) + SHIFT).toISOString().slice(0, 19);
    return fraction ? `${moved}.${fraction}Z` : `${moved}Z`;
  }) as T;
}

export function aksMiningAzureData(): AzureFakeData {
  const { subscription, scaleSet, day } = AZURE_SCENARIO;
  const alerts = shifted(readFixture<{ value: Array<Record<string, unknown>> }>('azure/defender/alerts-list-aks-mining.json').value);
  const events = shifted(readFixture<{ value: Array<Record<string, unknown>> }>('azure/activity-log/rest-list-gpu-vm-write.json').value);
  const hours = Array.from({ length: 24 }, (_, h) => day + h * 3_600_000);
  const cpu = [
    // The node running the miner, pinned all day; its neighbour idles, as in the fixture's hour.
    {
      resourceId: scaleSet,
      instance: 'aks-nodepool1-27354651-vmss000003',
      points: hours.map((at, h) => ({ at, average: 97.4 + (h % 4) * 0.6, maximum: 100 })),
    },
    {
      resourceId: scaleSet,
      instance: 'aks-nodepool1-27354651-vmss000004',
      points: hours.map((at, h) => ({ at, average: 5.8 + (h % 3) * 0.4, maximum: 9.5 })),
    },
  ];
  const costs: AzureCostRow[] = [];
  const nodePool = scaleSet.toLowerCase();
  const web = `/subscriptions/${subscription}/resourcegroups/web-rg/providers/microsoft.compute/virtualmachines/web-01`;
  for (let at = day - 40 * 86_400_000; at < Date.now(); at += 86_400_000) {
    const date = new Date(at).toISOString().slice(0, 10);
    costs.push({
      day: date,
      resourceId: web,
      service: 'Virtual Machines',
      subCategory: 'Dv3/DSv3 Series',
      meter: 'D4 v3/D4s v3',
      location: 'eastus',
      cost: 4.608,
    });
    const nodes = at === day ? 12 : 2;
    costs.push({
      day: date,
      resourceId: nodePool,
      service: 'Virtual Machines',
      subCategory: 'Dv3/DSv3 Series',
      meter: 'D8 v3/D8s v3',
      location: 'westeurope',
      cost: nodes * 9.216,
    });
  }
  return { subscription, alerts, cpu, events, costs };
}
