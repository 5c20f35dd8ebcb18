import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  classifyGuardDutyType,
  instanceFamilyOf,
  isComputeInstanceType,
  isGpuInstanceType,
  isPoolDomain,
  isStratumPort,
  mentionsMinerProcess,
  mentionsMining,
  usageTypeInstanceType,
} from '#src/connectors/taxonomy.js';

describe('classifyGuardDutyType', () => {
  for (const type of [
    'CryptoCurrency:EC2/BitcoinTool.B',
    'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    'CryptoCurrency:Runtime/BitcoinTool.B',
    'CryptoCurrency:Runtime/BitcoinTool.B!DNS',
    'CryptoCurrency:Lambda/BitcoinTool.B',
    'Impact:EC2/BitcoinDomainRequest.Reputation',
    'Impact:Runtime/BitcoinDomainRequest.Reputation',
    'Impact:Runtime/CryptoMinerExecuted',
  ]) {
    it(`${type} is mining, Resource Hijacking, HIGH by default`, () => {
      assert.deepEqual(classifyGuardDutyType(type), { mining: true, severity: 'HIGH', techniques: ['T1496'] });
    });
  }

  it('recognises a future type under the CryptoCurrency threat purpose', () => {
    assert.deepEqual(classifyGuardDutyType('CryptoCurrency:ECS/BitcoinTool.B'), { mining: true, techniques: ['T1496'] });
  });

  it('does not call other findings mining', () => {
    for (const type of [
      'Trojan:EC2/DropPoint!DNS',
      'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      'Impact:EC2/AbusedDomainRequest.Reputation',
      'Recon:EC2/PortProbeUnprotectedPort',
    ]) {
      assert.deepEqual(classifyGuardDutyType(type), { mining: false, techniques: [] }, type);
    }
  });

  it('treats attack sequences as context', () => {
    assert.deepEqual(classifyGuardDutyType('AttackSequence:EC2/CompromisedInstanceGroup'), { mining: false, techniques: [] });
  });
});

describe('mentionsMining', () => {
  it('finds mining words in a description, not in unrelated text', () => {
    assert.equal(mentionsMining('Instances in the group ran a cryptocurrency miner'), true);
    assert.equal(mentionsMining('Potential coin-miner activity'), true);
    assert.equal(mentionsMining('Data was exfiltrated from an S3 bucket'), false);
    assert.equal(mentionsMining('data mining job'), false);
  });
});

describe('network indicators', () => {
  it('knows stratum ports and leaves out ports ordinary software uses', () => {
    for (const port of [3333, 4444, 5555, 7777, 14444, 45700]) assert.equal(isStratumPort(port), true, String(port));
    for (const port of [22, 443, 8080, 8888]) assert.equal(isStratumPort(port), false, String(port));
  });

  it('matches pool domains and their subdomains by whole labels', () => {
    assert.equal(isPoolDomain('xmr-eu1.nanopool.org'), true);
    assert.equal(isPoolDomain('nanopool.org'), true);
    assert.equal(isPoolDomain('POOL.SupportXMR.com.'), true);
    assert.equal(isPoolDomain('stratum+tcp://gulf.moneroocean.stream:10128'), true);
    assert.equal(isPoolDomain('rx.unmineable.com'), true);
    assert.equal(isPoolDomain('notnanopool.org'), false);
    assert.equal(isPoolDomain('nanopool.org.example.com'), false);
    assert.equal(isPoolDomain('example.com'), false);
    assert.equal(isPoolDomain(''), false);
  });
});

describe('mentionsMinerProcess', () => {
  it('recognises miner binaries, images and command-line markers', () => {
    assert.equal(mentionsMinerProcess('/tmp/.x/xmrig -o pool.supportxmr.com:3333'), true);
    assert.equal(mentionsMinerProcess('docker.io/xmrig/xmrig:6.21.0'), true);
    assert.equal(mentionsMinerProcess('./t-rex -a kawpow'), true);
    assert.equal(mentionsMinerProcess('lolMiner --algo ETHASH'), true);
    assert.equal(mentionsMinerProcess('worker --donate-level 1'), true);
    assert.equal(mentionsMinerProcess('stratum+tcp://eth.2miners.com:2020'), true);
  });

  it('does not match names that merely contain a miner name', () => {
    assert.equal(mentionsMinerProcess('t-rex-runner'), false);
    assert.equal(mentionsMinerProcess('nginx:1.25'), false);
    assert.equal(mentionsMinerProcess('minerdashboard'), false);
  });
});

describe('instance types', () => {
  it('names the family across clouds', () => {
    assert.equal(instanceFamilyOf('p3.8xlarge'), 'p3');
    assert.equal(instanceFamilyOf('p4de.24xlarge'), 'p4de');
    assert.equal(instanceFamilyOf('p6-b200.48xlarge'), 'p6-b200');
    assert.equal(instanceFamilyOf('ml.p3.2xlarge'), 'p3');
    assert.equal(instanceFamilyOf('c7i-flex.large'), 'c7i-flex');
    assert.equal(instanceFamilyOf('a2-highgpu-1g'), 'a2');
    assert.equal(instanceFamilyOf('Standard_NC6s_v3'), 'NC');
    assert.equal(instanceFamilyOf('nonsense'), null);
  });

  it('recognises GPU instance types', () => {
    for (const t of [
      'p2.xlarge',
      'p3.8xlarge',
      'p4d.24xlarge',
      'p5.48xlarge',
      'p5e.48xlarge',
      'g3.4xlarge',
      'g4dn.xlarge',
      'g4ad.xlarge',
      'g5.2xlarge',
      'g5g.xlarge',
      'g6.xlarge',
      'g6e.xlarge',
      'gr6.4xlarge',
      'Standard_NC24ads_A100_v4',
      'Standard_ND96asr_v4',
      'Standard_NV36ads_A10_v5',
      'a2-highgpu-1g',
      'a3-highgpu-8g',
      'g2-standard-4',
    ]) {
      assert.equal(isGpuInstanceType(t), true, t);
    }
    for (const t of ['m5.large', 'c5.9xlarge', 't3.micro', 'inf2.xlarge', 'Standard_D4s_v5', 'n2-standard-8', 'e2-medium']) {
      assert.equal(isGpuInstanceType(t), false, t);
    }
  });

  it('recognises compute-optimized instance types per cloud', () => {
    for (const t of [
      'c5.9xlarge',
      'c6i.32xlarge',
      'c7i.48xlarge',
      'c7g.16xlarge',
      'hpc7a.96xlarge',
      'Standard_F72s_v2',
      'c2-standard-60',
      'c3d-highcpu-360',
      'h3-standard-88',
    ]) {
      assert.equal(isComputeInstanceType(t), true, t);
    }
    // AWS h1 is storage-optimized even though GCP h3 is compute-optimized.
    for (const t of ['h1.16xlarge', 'm5.large', 'p3.8xlarge', 'Standard_D4s_v5', 'n2-standard-8']) {
      assert.equal(isComputeInstanceType(t), false, t);
    }
  });

  it('reads the instance type out of billing usage types', () => {
    assert.equal(usageTypeInstanceType('USE1-BoxUsage:p3.8xlarge'), 'p3.8xlarge');
    assert.equal(usageTypeInstanceType('BoxUsage:p3.8xlarge'), 'p3.8xlarge');
    assert.equal(usageTypeInstanceType('USW2-SpotUsage:g4dn.12xlarge'), 'g4dn.12xlarge');
    assert.equal(usageTypeInstanceType('EU-DedicatedUsage:c5.metal'), 'c5.metal');
    assert.equal(usageTypeInstanceType('USE1-Train:ml.p3.2xlarge'), 'ml.p3.2xlarge');
    assert.equal(usageTypeInstanceType('USE1-DataTransfer-Regional-Bytes'), null);
    assert.equal(usageTypeInstanceType('USE1-EBS:VolumeUsage.gp3'), null);
    assert.equal(usageTypeInstanceType('AnomalousUsageType'), null);
  });
});
