import { leakedKeyScenario, SCENARIO, scenarioTotalImpact } from '#src/demo/leaked-key.scenario.js';
import {
  cloudTrailLog,
  cloudTrailRecord,
  costAnomalySns,
  cpuEnvelope,
  guardDutyFinding,
  instanceId,
  plusMinutes,
  runInstances,
  type Who,
} from './builders/aws.js';
import { readFixture } from '../support/fixtures.js';
import type { Scenario } from './scenario.js';

const sns = (body: string) => ({ source: 'aws.cost-anomaly', contentType: 'application/json', body });

export const leakedKeyGpuFleet: Scenario = {
  name: 'aws-leaked-key-gpu-fleet',
  description: 'A leaked access key launches 50 p3.8xlarge in four regions; GuardDuty, CPU and a $14.8k cost anomaly follow.',
  steps: leakedKeyScenario().map((p) => ({ source: p.source, contentType: p.contentType, body: p.body })),
  campaigns: [{ name: 'GPU fleet', account: SCENARIO.accountId, minSeverity: 'CRITICAL', cost: scenarioTotalImpact() }],
};

function leakedUser(account: string, tag: string): Who {
  return {
    account,
    arn: `arn:aws:iam::${account}:user/${tag}`,
    name: tag,
    accessKeyId: `AKIA${tag
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .padEnd(16, 'X')
      .slice(0, 16)}`,
    sourceIp: '45.155.205.233',
  };
}

export const lambdaMiner: Scenario = (() => {
  const account = '222233334444';
  const who = leakedUser(account, 'build-bot');
  const fn = `arn:aws:lambda:us-east-1:${account}:function:image-resizer-v2`;
  const at = '2026-11-10T03:12:00.000Z';
  return {
    name: 'aws-lambda-miner',
    description: 'A stolen CI key deploys a Lambda that mines; GuardDuty Lambda Protection flags it and Lambda spend jumps.',
    steps: [
      {
        source: 'aws.cloudtrail',
        body: cloudTrailLog([
          cloudTrailRecord({
            who,
            region: 'us-east-1',
            at,
            eventName: 'CreateFunction20150331',
            eventSource: 'lambda.amazonaws.com',
            request: { functionName: 'image-resizer-v2', runtime: 'python3.12', memorySize: 10240, timeout: 900 },
            response: { functionName: 'image-resizer-v2', functionArn: fn, runtime: 'python3.12', memorySize: 10240, timeout: 900 },
          }),
        ]),
      },
      {
        source: 'aws.guardduty',
        body: {
          findings: [
            guardDutyFinding({
              account,
              region: 'us-east-1',
              type: 'CryptoCurrency:Lambda/BitcoinTool.B',
              severity: 8,
              at: plusMinutes(at, 30),
              lambdaArn: fn,
            }),
          ],
        },
      },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-10',
          service: 'AWS Lambda',
          region: 'us-east-1',
          usageType: 'USE1-Lambda-GB-Second',
          expected: 42.5,
          actual: 1830.75,
        }),
      ),
    ],
    campaigns: [{ name: 'Lambda miner', account, minSeverity: 'MEDIUM', cost: 1788.25 }],
  };
})();

/** Two unrelated campaigns at the same time in two accounts: two incidents, each with its own cost. */
export const twoCampaigns: Scenario = (() => {
  const steps: Scenario['steps'] = [];
  const campaigns: Scenario['campaigns'] = [];
  for (const [account, region, type, n, expected, actual] of [
    ['333344445555', 'us-east-2', 'g5.12xlarge', 12, 310, 6510.4],
    ['444455556666', 'eu-central-1', 'p4d.24xlarge', 4, 120, 3266.1],
  ] as const) {
    const who = leakedUser(account, `ops-${account.slice(0, 4)}`);
    const ids = Array.from({ length: n }, (_, i) => instanceId(`${account}/${i}`));
    const at = '2026-11-14T21:05:00.000Z';
    steps.push({ source: 'aws.cloudtrail', body: cloudTrailLog([runInstances({ who, region, at, instanceType: type, ids })]) });
    steps.push({
      source: 'aws.guardduty',
      body: {
        findings: ids.map((id) =>
          guardDutyFinding({
            account,
            region,
            type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
            severity: 8,
            at: plusMinutes(at, 25),
            instance: { id, type },
            domain: 'pool.supportxmr.com',
          }),
        ),
      },
    });
    steps.push(
      sns(
        costAnomalySns({
          account,
          day: '2026-11-15',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region,
          usageType: `BoxUsage:${type}`,
          expected,
          actual,
        }),
      ),
    );
    campaigns.push({ name: `campaign in ${account}`, account, minSeverity: 'HIGH', cost: Math.round((actual - expected) * 100) / 100 });
  }
  return {
    name: 'aws-two-campaigns-two-accounts',
    description: 'Two simultaneous GPU campaigns in two accounts with different keys.',
    steps,
    campaigns,
  };
})();

/** Findings first; the analyst resolves the incident; the cost anomaly arrives two days later and still attaches. */
export const lateCostData: Scenario = (() => {
  const account = '555566667777';
  const who = leakedUser(account, 'data-eng');
  const ids = Array.from({ length: 6 }, (_, i) => instanceId(`late/${i}`));
  const at = '2026-11-05T18:40:00.000Z';
  return {
    name: 'aws-late-cost-data',
    description: 'The incident is resolved before the Cost Anomaly Detection alert arrives; the late cost still lands on it.',
    steps: [
      {
        source: 'aws.cloudtrail',
        body: cloudTrailLog([runInstances({ who, region: 'us-west-2', at, instanceType: 'g4dn.12xlarge', ids })]),
      },
      {
        source: 'aws.guardduty',
        body: {
          findings: ids.map((id) =>
            guardDutyFinding({
              account,
              region: 'us-west-2',
              type: 'CryptoCurrency:EC2/BitcoinTool.B',
              severity: 8,
              at: plusMinutes(at, 40),
              instance: { id, type: 'g4dn.12xlarge' },
            }),
          ),
        },
      },
      { transition: { account, to: 'RESOLVED' } },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-05',
          endDay: '2026-11-06',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region: 'us-west-2',
          usageType: 'USW2-BoxUsage:g4dn.12xlarge',
          expected: 95,
          actual: 2445.6,
        }),
      ),
    ],
    campaigns: [{ name: 'resolved, then billed', account, minSeverity: 'HIGH', cost: 2350.6 }],
  };
})();

/** Look-alike: the usual CI role launches GPU training; GPUs busy; big EC2 anomaly. No mining detection. */
export const mlTrainingLookalike: Scenario = (() => {
  const account = '666677778888';
  const who: Who = {
    account,
    arn: `arn:aws:sts::${account}:assumed-role/ci-ml-training/gha-run-8812`,
    name: 'gha-run-8812',
    type: 'AssumedRole',
    accessKeyId: 'ASIAQX3CITRAINING001',
    sourceIp: '140.82.112.4',
  };
  const ids = Array.from({ length: 8 }, (_, i) => instanceId(`train/${i}`));
  const at = '2026-11-12T01:00:00.000Z';
  return {
    name: 'aws-ml-training-lookalike',
    description: 'Nightly GPU training by the CI role: RunInstances p4d, CPU near 100 %, EC2 cost anomaly — and no mining finding.',
    steps: [
      {
        source: 'aws.cloudtrail',
        body: cloudTrailLog([runInstances({ who, region: 'us-east-1', at, instanceType: 'p4d.24xlarge', ids })]),
      },
      {
        source: 'aws.cloudwatch',
        body: cpuEnvelope({
          account,
          region: 'us-east-1',
          start: '2026-11-12T01:00:00Z',
          instances: ids.map((id) => ({ id, average: 97 })),
        }),
      },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-12',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region: 'us-east-1',
          usageType: 'BoxUsage:p4d.24xlarge',
          expected: 900,
          actual: 7400,
        }),
      ),
    ],
    campaigns: [],
  };
})();

/** Look-alike: Black Friday. Web tier busy, EC2 and load balancer spend up. */
export const seasonalPeak: Scenario = (() => {
  const account = '777788889999';
  const ids = Array.from({ length: 10 }, (_, i) => instanceId(`web/${i}`));
  return {
    name: 'aws-seasonal-sales-peak',
    description: 'A seasonal sales peak: busy web servers and a cost anomaly, nothing else.',
    steps: [
      {
        source: 'aws.cloudwatch',
        body: cpuEnvelope({
          account,
          region: 'us-east-1',
          start: '2026-11-27T08:00:00Z',
          instances: ids.map((id) => ({ id, average: 92 })),
        }),
      },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-27',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region: 'us-east-1',
          usageType: 'BoxUsage:c6i.2xlarge',
          expected: 1400,
          actual: 3900,
        }),
      ),
      sns(
        costAnomalySns({
          account,
          day: '2026-11-27',
          service: 'Elastic Load Balancing',
          region: 'us-east-1',
          usageType: 'LoadBalancerUsage',
          expected: 60,
          actual: 240,
        }),
      ),
    ],
    campaigns: [],
  };
})();

/** Look-alike: a port-probe finding on an instance and an unrelated cost spike the same day. */
export const portProbeWithCostSpike: Scenario = (() => {
  const account = '888899990000';
  const id = instanceId('bastion');
  return {
    name: 'aws-port-probe-with-cost-spike',
    description: 'GuardDuty Recon:EC2/PortProbeUnprotectedPort on a bastion and an EC2 cost spike: context, not mining.',
    steps: [
      {
        source: 'aws.guardduty',
        body: {
          findings: [
            guardDutyFinding({
              account,
              region: 'eu-west-1',
              type: 'Recon:EC2/PortProbeUnprotectedPort',
              severity: 2,
              at: '2026-11-20T09:00:00.000Z',
              instance: { id, type: 't3.micro' },
            }),
          ],
        },
      },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-20',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region: 'eu-west-1',
          usageType: 'EU-BoxUsage:m6i.4xlarge',
          expected: 150,
          actual: 990,
        }),
      ),
    ],
    campaigns: [],
  };
})();

/** Look-alike: a scheduled load test. Compute-optimised fleet at 95 % CPU with its cost. */
export const loadTest: Scenario = (() => {
  const account = '999900001111';
  const who: Who = {
    account,
    arn: `arn:aws:sts::${account}:assumed-role/perf-loadtest/k6-run`,
    name: 'k6-run',
    type: 'AssumedRole',
    accessKeyId: 'ASIAQX3LOADTEST00001',
    sourceIp: '10.20.0.15',
  };
  const ids = Array.from({ length: 20 }, (_, i) => instanceId(`load/${i}`));
  const at = '2026-11-18T14:00:00.000Z';
  return {
    name: 'aws-load-test',
    description: 'A load test: 20 c5.4xlarge at 95 % CPU for a few hours, and their cost.',
    steps: [
      { source: 'aws.cloudtrail', body: cloudTrailLog([runInstances({ who, region: 'us-east-1', at, instanceType: 'c5.4xlarge', ids })]) },
      {
        source: 'aws.cloudwatch',
        body: cpuEnvelope({
          account,
          region: 'us-east-1',
          start: '2026-11-18T14:00:00Z',
          instances: ids.map((id) => ({ id, average: 95 })),
        }),
      },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-18',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region: 'us-east-1',
          usageType: 'BoxUsage:c5.4xlarge',
          expected: 300,
          actual: 1100,
        }),
      ),
    ],
    campaigns: [],
  };
})();

/** A miner container on EKS: GuardDuty Runtime Monitoring sees its pool lookups; the node group's EC2 spend jumps. */
export const eksMinerContainer: Scenario = (() => {
  const account = '121212121212';
  const eks = {
    cluster: 'payments-prod',
    namespace: 'default',
    pod: 'redis-cache-7d9f8b6c5-x2kqp',
    image: 'docker.io/kinsing/redis-miner:latest',
  };
  const at = '2026-11-16T02:20:00.000Z';
  return {
    name: 'aws-eks-miner-container',
    description:
      'A compromised pod on EKS runs a miner; GuardDuty CryptoCurrency:Runtime/BitcoinTool.B!DNS twice; EC2 spend for the node group spikes.',
    steps: [
      {
        source: 'aws.guardduty',
        body: [
          guardDutyFinding({
            account,
            region: 'eu-west-1',
            type: 'CryptoCurrency:Runtime/BitcoinTool.B!DNS',
            severity: 8,
            at,
            eks,
            domain: 'xmr.2miners.com',
          }),
          guardDutyFinding({
            account,
            region: 'eu-west-1',
            type: 'Impact:Runtime/CryptoMinerExecuted',
            severity: 8,
            at: plusMinutes(at, 3),
            eks,
          }),
        ],
      },
      // The pods as `kubectl get pods -o json` printed them, with the cluster named in the query.
      {
        source: 'kubernetes',
        body: readFixture('kubernetes/pods-list-miner-and-normal.json'),
        query: { provider: 'aws', accountId: account, region: 'eu-west-1', cluster: eks.cluster },
      },
      sns(
        costAnomalySns({
          account,
          day: '2026-11-16',
          service: 'Amazon Elastic Compute Cloud - Compute',
          region: 'eu-west-1',
          usageType: 'EU-BoxUsage:c6i.8xlarge',
          expected: 210,
          actual: 1530,
        }),
      ),
    ],
    campaigns: [{ name: 'EKS miner pod', account, minSeverity: 'HIGH', cost: 1320 }],
  };
})();

export const awsScenarios: Scenario[] = [
  leakedKeyGpuFleet,
  lambdaMiner,
  eksMinerContainer,
  twoCampaigns,
  lateCostData,
  mlTrainingLookalike,
  seasonalPeak,
  portProbeWithCostSpike,
  loadTest,
];
