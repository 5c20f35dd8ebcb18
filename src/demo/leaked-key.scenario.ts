import { createHash } from 'node:crypto';

/**
 * "Leaked access key, GPU fleet in four regions": payloads exactly as AWS delivers them, in the
 * order they would reach MineWatch. CloudTrail S3 log files arrive within minutes, GuardDuty
 * findings (GetFindings responses and EventBridge events) within the hour, CloudWatch metrics as
 * they are polled, and the Cost Anomaly Detection alert (its SNS message) a day later.
 * Deterministic: ids are derived from names, so re-sending the scenario changes nothing.
 */

export const SCENARIO = {
  accountId: '123456789012',
  userName: 'developer-user',
  accessKeyId: 'AKIAQX3LEAKEDKEYWXYZ',
  sourceIp: '185.220.101.47',
  instanceType: 'p3.8xlarge',
  regions: { 'us-east-1': 14, 'us-west-2': 12, 'eu-west-1': 12, 'ap-southeast-1': 12 } as Record<string, number>,
  /** On-demand p3.8xlarge is $12.24/h: 50 instances for a day is about $14,700 over a $198 baseline. */
  expectedSpend: 198.4,
  actualSpend: 15012.64,
  firstCallAt: '2026-11-20T22:14:03Z',
};

export interface ScenarioPayload {
  source: string;
  contentType: string;
  description: string;
  body: unknown;
}

const USER_AGENT =
  'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69';
const USER_ARN = `arn:aws:iam::${SCENARIO.accountId}:user/${SCENARIO.userName}`;
const REGION_PREFIX: Record<string, string> = { 'us-east-1': 'USE1', 'us-west-2': 'USW2', 'eu-west-1': 'EU', 'ap-southeast-1': 'APS1' };
const AMI: Record<string, string> = {
  'us-east-1': 'ami-0fc5d935ebf8bc3bc',
  'us-west-2': 'ami-0efcece6bed30fd98',
  'eu-west-1': 'ami-0905a3c97561e0b69',
  'ap-southeast-1': 'ami-078c1149d8ad719a7',
};

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function at(iso: string, plusMinutes: number): string {
  return new Date(Date.parse(iso) + plusMinutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

function ms(iso: string, plusMinutes: number): string {
  return new Date(Date.parse(iso) + plusMinutes * 60_000).toISOString();
}

export interface Instance {
  id: string;
  region: string;
  zone: string;
  launchedAt: string;
  privateIp: string;
  publicIp: string;
}

/** The fleet: two RunInstances calls per region, a few minutes apart, spreading from us-east-1. */
export function fleet(): Instance[] {
  const out: Instance[] = [];
  Object.entries(SCENARIO.regions).forEach(([region, count], r) => {
    for (let n = 0; n < count; n++) {
      const call = n < Math.ceil(count / 2) ? 0 : 1;
      out.push({
        id: `i-0${hex(`${region}/${n}`, 16)}`,
        region,
        zone: `${region}${'abc'[n % 3]}`,
        launchedAt: at(SCENARIO.firstCallAt, 3 + r * 9 + call * 4),
        privateIp: `172.31.${16 + r}.${10 + n}`,
        publicIp: `${[3, 35, 52, 13][r]}.${88 + r}.${140 + n}.${20 + n * 3}`,
      });
    }
  });
  return out;
}

function userIdentity() {
  return {
    type: 'IAMUser',
    principalId: 'AIDAQX3EXAMPLEUSERID1',
    arn: USER_ARN,
    accountId: SCENARIO.accountId,
    accessKeyId: SCENARIO.accessKeyId,
    userName: SCENARIO.userName,
  };
}

function cloudTrailRecord(region: string, eventSource: string, eventName: string, eventTime: string, extra: Record<string, unknown>) {
  return {
    eventVersion: '1.09',
    userIdentity: userIdentity(),
    eventTime,
    eventSource,
    eventName,
    awsRegion: region,
    sourceIPAddress: SCENARIO.sourceIp,
    userAgent: USER_AGENT,
    requestID: uuid(`req/${region}/${eventName}/${eventTime}`),
    eventID: uuid(`event/${region}/${eventName}/${eventTime}`),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: SCENARIO.accountId,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${eventSource.split('.')[0]}.${region}.amazonaws.com`,
    },
    ...extra,
  };
}

function runInstances(region: string, instances: Instance[]) {
  const time = instances[0]!.launchedAt;
  return cloudTrailRecord(region, 'ec2.amazonaws.com', 'RunInstances', time, {
    requestParameters: {
      instancesSet: { items: [{ imageId: AMI[region], minCount: instances.length, maxCount: instances.length }] },
      instanceType: SCENARIO.instanceType,
      blockDeviceMapping: {},
      monitoring: { enabled: false },
      disableApiTermination: false,
      disableApiStop: false,
      clientToken: uuid(`token/${time}/${region}`),
      userData: '<sensitiveDataRemoved>',
    },
    responseElements: {
      requestId: uuid(`resp/${time}/${region}`),
      reservationId: `r-0${hex(`reservation/${time}/${region}`, 16)}`,
      ownerId: SCENARIO.accountId,
      groupSet: {},
      instancesSet: {
        items: instances.map((i, n) => ({
          instanceId: i.id,
          imageId: AMI[region],
          currentInstanceBootMode: 'legacy-bios',
          instanceState: { code: 0, name: 'pending' },
          privateDnsName: `ip-${i.privateIp.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`,
          amiLaunchIndex: n,
          productCodes: {},
          instanceType: SCENARIO.instanceType,
          launchTime: Date.parse(i.launchedAt),
          placement: { availabilityZone: i.zone, tenancy: 'default' },
          monitoring: { state: 'disabled' },
          subnetId: `subnet-0${hex(`subnet/${i.zone}`, 16)}`,
          vpcId: `vpc-0${hex(`vpc/${region}`, 16)}`,
          privateIpAddress: i.privateIp,
          stateReason: { code: 'pending', message: 'pending' },
          architecture: 'x86_64',
          rootDeviceType: 'ebs',
          rootDeviceName: '/dev/sda1',
          blockDeviceMapping: {},
          virtualizationType: 'hvm',
          hypervisor: 'xen',
          groupSet: { items: [{ groupId: `sg-0${hex(`sg/${region}`, 16)}`, groupName: 'default' }] },
          sourceDestCheck: true,
          ebsOptimized: true,
          enaSupport: true,
          cpuOptions: { coreCount: 16, threadsPerCore: 2 },
          capacityReservationSpecification: { capacityReservationPreference: 'open' },
          enclaveOptions: { enabled: false },
          metadataOptions: {
            state: 'pending',
            httpTokens: 'optional',
            httpPutResponseHopLimit: 1,
            httpEndpoint: 'enabled',
            httpProtocolIpv4: 'enabled',
            httpProtocolIpv6: 'disabled',
            instanceMetadataTags: 'disabled',
          },
          maintenanceOptions: { autoRecovery: 'default' },
          privateDnsNameOptions: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
        })),
      },
    },
  });
}

/** One S3 log file per region: `{ "Records": [ … ] }`. */
function cloudTrailLogFiles(instances: Instance[]): ScenarioPayload[] {
  return Object.keys(SCENARIO.regions).map((region, r) => {
    const inRegion = instances.filter((i) => i.region === region);
    const calls = [...new Set(inRegion.map((i) => i.launchedAt))].map((time) =>
      runInstances(
        region,
        inRegion.filter((i) => i.launchedAt === time),
      ),
    );
    const records: unknown[] = [];
    if (r === 0) {
      // The attacker checks what the key is worth before spending it.
      records.push(
        cloudTrailRecord(region, 'sts.amazonaws.com', 'GetCallerIdentity', SCENARIO.firstCallAt, {
          readOnly: true,
          requestParameters: null,
          responseElements: null,
        }),
      );
      records.push(
        cloudTrailRecord(region, 'ec2.amazonaws.com', 'DescribeRegions', at(SCENARIO.firstCallAt, 1), {
          readOnly: true,
          requestParameters: { regionSet: {}, allRegions: false },
          responseElements: null,
        }),
      );
      // The first try asks for more GPUs than the account's quota allows.
      records.push(
        cloudTrailRecord(region, 'ec2.amazonaws.com', 'RunInstances', at(SCENARIO.firstCallAt, 2), {
          errorCode: 'Client.VcpuLimitExceeded',
          errorMessage:
            'You have requested more vCPU capacity than your current vCPU limit of 512 allows for the instance bucket that the specified instance type belongs to.',
          requestParameters: {
            instancesSet: { items: [{ imageId: AMI[region], minCount: 20, maxCount: 20 }] },
            instanceType: SCENARIO.instanceType,
          },
          responseElements: null,
        }),
      );
    }
    records.push(...calls);
    return {
      source: 'aws.cloudtrail',
      contentType: 'application/json',
      description: `CloudTrail log file, ${region} (${records.length} records)`,
      body: { Records: records },
    };
  });
}

const POOL_DOMAINS = ['pool.supportxmr.com', 'xmr.2miners.com', 'gulf.moneroocean.stream', 'pool.hashvault.pro'];

function finding(i: Instance, r: number) {
  const firstSeen = ms(i.launchedAt, 21 + (r % 5));
  const lastSeen = '2026-11-22T08:41:17.000Z';
  const id = hex(`finding/${i.id}`, 32);
  const detector = hex(`detector/${i.region}`, 32);
  return {
    accountId: SCENARIO.accountId,
    arn: `arn:aws:guardduty:${i.region}:${SCENARIO.accountId}:detector/${detector}/finding/${id}`,
    createdAt: ms(firstSeen, 6),
    description: `EC2 instance ${i.id} is querying a domain name that is associated with Bitcoin-related activity.`,
    id,
    partition: 'aws',
    region: i.region,
    resource: {
      instanceDetails: {
        availabilityZone: i.zone,
        imageDescription: 'Canonical, Ubuntu, 22.04 LTS, amd64 jammy image',
        imageId: AMI[i.region],
        instanceId: i.id,
        instanceState: 'running',
        instanceType: SCENARIO.instanceType,
        launchTime: ms(i.launchedAt, 0),
        networkInterfaces: [
          {
            ipv6Addresses: [],
            networkInterfaceId: `eni-0${hex(`eni/${i.id}`, 16)}`,
            privateDnsName: `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`,
            privateIpAddress: i.privateIp,
            privateIpAddresses: [{ privateDnsName: `ip-${i.privateIp.replace(/\./g, '-')}.ec2.internal`, privateIpAddress: i.privateIp }],
            publicDnsName: `ec2-${i.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com`,
            publicIp: i.publicIp,
            securityGroups: [{ groupId: `sg-0${hex(`sg/${i.region}`, 16)}`, groupName: 'default' }],
            subnetId: `subnet-0${hex(`subnet/${i.zone}`, 16)}`,
            vpcId: `vpc-0${hex(`vpc/${i.region}`, 16)}`,
          },
        ],
        productCodes: [],
        tags: [],
      },
      resourceType: 'Instance',
    },
    schemaVersion: '2.0',
    service: {
      action: {
        actionType: 'DNS_REQUEST',
        dnsRequestAction: { domain: POOL_DOMAINS[r % POOL_DOMAINS.length], protocol: 'UDP', blocked: false },
      },
      archived: false,
      count: 180 + r * 7,
      detectorId: detector,
      eventFirstSeen: firstSeen,
      eventLastSeen: lastSeen,
      resourceRole: 'ACTOR',
      serviceName: 'guardduty',
      additionalInfo: { value: '{}', type: 'default' },
    },
    severity: 8,
    title: 'Bitcoin-related domain name queried by EC2 instance ' + i.id + '.',
    type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    updatedAt: lastSeen,
  };
}

/** us-east-1 and us-west-2 as GetFindings API responses; eu-west-1 and ap-southeast-1 as EventBridge events. */
function guardDuty(instances: Instance[]): ScenarioPayload[] {
  return Object.keys(SCENARIO.regions).map((region, r) => {
    const findings = instances.filter((i) => i.region === region).map((i, n) => finding(i, n + r));
    if (r < 2) {
      return {
        source: 'aws.guardduty',
        contentType: 'application/json',
        description: `GuardDuty GetFindings response, ${region} (${findings.length} findings)`,
        body: { findings },
      };
    }
    const events = findings.map((f) => ({
      version: '0',
      id: uuid(`eb/${f.id}`),
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account: SCENARIO.accountId,
      time: f.updatedAt.replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [],
      detail: f,
    }));
    return {
      source: 'aws.guardduty',
      contentType: 'application/json',
      description: `GuardDuty findings via EventBridge, ${region} (${events.length} events)`,
      body: events,
    };
  });
}

/** GetMetricData results with the queries that produced them (the response alone names no instance). */
function cloudWatch(instances: Instance[]): ScenarioPayload[] {
  const start = Date.parse('2026-11-21T00:00:00Z');
  return Object.keys(SCENARIO.regions).map((region) => {
    const inRegion = instances.filter((i) => i.region === region);
    const queries = inRegion.map((i, n) => ({
      Id: `cpu${n}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: i.id }] },
        Period: 3600,
        Stat: 'Average',
      },
      ReturnData: true,
    }));
    const results = inRegion.map((_i, n) => {
      // Newest first, as GetMetricData returns them by default (ScanBy TimestampDescending).
      const hours = Array.from({ length: 24 }, (_, h) => 23 - h);
      return {
        Id: `cpu${n}`,
        Label: 'CPUUtilization',
        Timestamps: hours.map((h) => new Date(start + h * 3_600_000).toISOString().replace(/\.000Z$/, 'Z')),
        Values: hours.map((h) => Math.round((97.2 + ((n * 7 + h * 3) % 27) / 10) * 100) / 100),
        StatusCode: 'Complete',
      };
    });
    return {
      source: 'aws.cloudwatch',
      contentType: 'application/json',
      description: `CloudWatch GetMetricData CPUUtilization, ${region} (${inRegion.length} instances × 24 h)`,
      body: { accountId: SCENARIO.accountId, region, MetricDataQueries: queries, MetricDataResults: results, Messages: [] },
    };
  });
}

/** The Cost Anomaly Detection alert: the SNS message AWS publishes for it. */
function costAnomaly(): ScenarioPayload {
  const regions = Object.entries(SCENARIO.regions);
  const total = Math.round((SCENARIO.actualSpend - SCENARIO.expectedSpend) * 100) / 100;
  const anomalyId = uuid('anomaly/leaked-key');
  const monitorId = uuid('monitor/services');
  const message = {
    accountId: SCENARIO.accountId,
    anomalyDetailsLink: `https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/${monitorId}/anomalies/${anomalyId}`,
    anomalyEndDate: '2026-11-21T00:00:00Z',
    anomalyId,
    anomalyScore: { currentScore: 0.99, maxScore: 0.99 },
    anomalyStartDate: '2026-11-21T00:00:00Z',
    dimensionalValue: 'Amazon Elastic Compute Cloud - Compute',
    impact: {
      maxImpact: total,
      totalActualSpend: SCENARIO.actualSpend,
      totalExpectedSpend: SCENARIO.expectedSpend,
      totalImpact: total,
      totalImpactPercentage: Math.round((total / SCENARIO.expectedSpend) * 10000) / 100,
    },
    monitorArn: `arn:aws:ce::${SCENARIO.accountId}:anomalymonitor/${monitorId}`,
    rootCauses: regions.map(([region, count]) => ({
      linkedAccount: SCENARIO.accountId,
      linkedAccountName: 'production',
      region,
      service: 'Amazon Elastic Compute Cloud - Compute',
      usageType: `${REGION_PREFIX[region]}-BoxUsage:${SCENARIO.instanceType}`,
      impact: { contribution: Math.round(((total * count) / 50) * 100) / 100 },
    })),
    subscriptionId: uuid('subscription/alerts'),
    subscriptionName: 'daily-anomaly-alerts',
  };
  // An SNS subscription would post the envelope, signed by AWS; the demo cannot sign as AWS, so it
  // sends the message as a forwarder (an SQS consumer, a Lambda) would: the envelope's Message.
  return {
    source: 'aws.cost-anomaly',
    contentType: 'application/json',
    description: `Cost Anomaly Detection alert (impact $${total})`,
    body: message,
  };
}

export function leakedKeyScenario(): ScenarioPayload[] {
  const instances = fleet();
  return [...cloudTrailLogFiles(instances), ...guardDuty(instances), ...cloudWatch(instances), costAnomaly()];
}

/** The anomaly's total impact, which the incident's cost impact should match. */
export function scenarioTotalImpact(): number {
  return Math.round((SCENARIO.actualSpend - SCENARIO.expectedSpend) * 100) / 100;
}
