import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { armResourceRefs, azureRegion, callerPrincipal, durationSeconds, parseArmId, subscriptionOf } from '#src/connectors/azure/arm.js';
import { classifyDefenderAlert, isDefenderTestAlert, trackedAzureMetric } from '#src/connectors/azure/azure-taxonomy.js';

const SUB = '6f1d2e3c-4b5a-4978-8a9b-0c1d2e3f4a5b';

describe('ARM ids', () => {
  it('parses resource ids in any casing and cuts extension resources off', () => {
    assert.deepEqual(
      parseArmId(
        `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/MC_RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/POOL/VIRTUALMACHINES/3`,
      ),
      {
        id: `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/MC_RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/POOL/VIRTUALMACHINES/3`,
        subscriptionId: SUB,
        resourceGroup: 'MC_RG',
        namespace: 'MICROSOFT.COMPUTE',
        types: ['VIRTUALMACHINESCALESETS', 'VIRTUALMACHINES'],
        names: ['POOL', '3'],
        ancestors: [`/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/MC_RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINESCALESETS/POOL`],
      },
    );
    const vm = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`;
    assert.equal(parseArmId(`${vm}/providers/Microsoft.Insights/metrics/Percentage CPU`)!.id, vm);
    assert.equal(
      parseArmId(`subscriptions/${SUB}/providers/Microsoft.Insights/metrics/Percentage CPU`)!.id,
      `/subscriptions/${SUB}/providers/Microsoft.Insights/metrics/Percentage CPU`,
    );
    assert.equal(parseArmId(`/subscriptions/${SUB}/resourceGroups/rg`)!.namespace, null);
    assert.equal(parseArmId('/providers/Microsoft.Capacity/reservationOrders/x/reservations/'), null);
    assert.equal(parseArmId('/subscriptions//resourceGroups/rg'), null);
    assert.equal(subscriptionOf(`/SUBSCRIPTIONS/${SUB.toUpperCase()}/X`), SUB);
  });

  it('names the resources MineWatch links on, with the billed parent of a child', () => {
    const rg = `/subscriptions/${SUB}/resourceGroups/rg/providers`;
    const types = (id: string) => armResourceRefs(id, 'eastus').map((r) => [r.type, r.id.slice(rg.length)]);
    assert.deepEqual(types(`${rg}/Microsoft.Compute/virtualMachines/vm1`), [
      ['azure.compute.vm', '/Microsoft.Compute/virtualMachines/vm1'],
    ]);
    assert.deepEqual(types(`${rg}/Microsoft.Compute/virtualMachines/vm1/extensions/NvidiaGpuDriverLinux`), [
      ['azure.compute.vm', '/Microsoft.Compute/virtualMachines/vm1'],
    ]);
    assert.deepEqual(types(`${rg}/Microsoft.ContainerService/managedClusters/aks1/agentPools/gpu`), [
      ['azure.aks.agent-pool', '/Microsoft.ContainerService/managedClusters/aks1/agentPools/gpu'],
      ['azure.aks.cluster', '/Microsoft.ContainerService/managedClusters/aks1'],
    ]);
    assert.deepEqual(types(`${rg}/Microsoft.Web/sites/api/slots/staging`), [['azure.appservice.site', '/Microsoft.Web/sites/api']]);
    assert.deepEqual(types(`${rg}/Microsoft.Batch/batchAccounts/b1/pools/p1`), [
      ['azure.batch.pool', '/Microsoft.Batch/batchAccounts/b1/pools/p1'],
      ['azure.batch.account', '/Microsoft.Batch/batchAccounts/b1'],
    ]);
    assert.deepEqual(types(`${rg}/Microsoft.Storage/storageAccounts/sa1`), [
      ['azure.storage.storageaccounts', '/Microsoft.Storage/storageAccounts/sa1'],
    ]);
    assert.deepEqual(
      armResourceRefs(`${rg}/Microsoft.Compute/virtualMachines/vm1`, null, 'Standard_NC6s_v3')[0]!.instanceType,
      'Standard_NC6s_v3',
    );
    assert.deepEqual(armResourceRefs(`/subscriptions/${SUB}`, null), []);
  });
});

describe('Azure helpers', () => {
  it('reduces region spellings to the ARM name', () => {
    assert.deepEqual(['EastUS2', 'East US 2', 'UK South', 'westeurope', 'Unassigned', '', null].map(azureRegion), [
      'eastus2',
      'eastus2',
      'uksouth',
      'westeurope',
      null,
      null,
      null,
    ]);
  });

  it('reads ISO 8601 durations', () => {
    assert.deepEqual(['PT1M', 'PT6H', 'P1D', 'PT1H30M', 'PT0S', 'P', 'PT', 'FULL', 5].map(durationSeconds), [
      60,
      21600,
      86400,
      5400,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('names a user by UPN and an app-only caller by its application id', () => {
    const upn = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
    assert.deepEqual(callerPrincipal({ [upn]: 'rob@contoso.com', appid: 'cli', name: 'Rob', ipaddr: '192.0.2.1' }, null, null), {
      identity: 'rob@contoso.com',
      name: 'Rob',
      accessKeyId: null,
      sourceIp: '192.0.2.1',
      userAgent: null,
    });
    assert.equal(callerPrincipal({ appid: 'app-1', oid: 'obj-1' }, 'obj-1', '198.51.100.7')!.identity, 'app-1');
    assert.equal(callerPrincipal(undefined, 'someone@contoso.com', null)!.identity, 'someone@contoso.com');
    assert.equal(callerPrincipal(undefined, null, null), null);
  });

  it('classifies Defender alert types from the reference, later ones by name, others by text', () => {
    for (const type of [
      'K8S.NODE_DigitalCurrencyMining',
      'VM_CryptoCoinMinerExecution',
      'AppServices_DigitalCurrencyMining',
      'AzureDNS_CurrencyMining',
      'VM_GPUDriverExtensionUnusualExecution',
    ]) {
      assert.deepEqual(classifyDefenderAlert(type, ''), { mining: true, byType: true, techniques: ['T1496'] }, type);
    }
    assert.equal(classifyDefenderAlert('K8S.NODE_CryptoCoinMinerSomethingNew', '').byType, true);
    assert.deepEqual(classifyDefenderAlert('VM_SshBruteForceFailed', 'Failed SSH brute force attack'), {
      mining: false,
      byType: false,
      techniques: [],
    });
    assert.equal(classifyDefenderAlert('MDE_X', 'Possible Cryptocoinminer download detected').mining, true);
    assert.equal(isDefenderTestAlert('K8S.NODE_EICAR'), true);
    assert.equal(isDefenderTestAlert('VM_EICARish'), false);
  });

  it('tracks CPU and GPU metrics by name, in any case', () => {
    assert.deepEqual(
      ['Percentage CPU', 'percentage cpu', 'node_cpu_usage_percentage', 'CpuPercentage', 'GpuUtilization', 'Network In Total'].map(
        trackedAzureMetric,
      ),
      ['cpu_utilization', 'cpu_utilization', 'cpu_utilization', 'cpu_utilization', 'gpu_utilization', null],
    );
  });
});
