/**
 * Builders for AWS payloads in the shapes AWS delivers (field sets as in test/fixtures/aws, whose
 * READMEs name the public sources). Scenarios use them to vary accounts, ids and times.
 */
import { createHash } from 'node:crypto';

export function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

export function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const instanceId = (seed: string) => `i-0${hex(seed, 16)}`;

export function plusMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

export interface Who {
  account: string;
  arn: string;
  name: string;
  type?: 'IAMUser' | 'AssumedRole';
  accessKeyId: string;
  sourceIp: string;
}

export function cloudTrailRecord(o: {
  who: Who;
  region: string;
  at: string;
  eventName: string;
  eventSource?: string;
  request?: unknown;
  response?: unknown;
  errorCode?: string;
}) {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: o.who.type ?? 'IAMUser',
      principalId: `AIDA${hex(o.who.arn, 16).toUpperCase()}`,
      arn: o.who.arn,
      accountId: o.who.account,
      accessKeyId: o.who.accessKeyId,
      ...(o.who.type === 'AssumedRole'
        ? {
            sessionContext: {
              sessionIssuer: {
                type: 'Role',
                arn: o.who.arn
                  .replace(':sts::', ':iam::')
                  .replace('assumed-role', 'role')
                  .replace(/\/[^/]+$/, ''),
                userName: o.who.name,
              },
            },
          }
        : { userName: o.who.name }),
    },
    eventTime: o.at.replace(/\.\d{3}Z$/, 'Z'),
    eventSource: o.eventSource ?? 'ec2.amazonaws.com',
    eventName: o.eventName,
    awsRegion: o.region,
    sourceIPAddress: o.who.sourceIp,
    userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22',
    ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: `${o.errorCode} for this request` } : {}),
    requestParameters: o.request ?? null,
    responseElements: o.response ?? null,
    requestID: uuid(`req/${o.region}/${o.eventName}/${o.at}/${o.who.arn}`),
    eventID: uuid(`event/${o.region}/${o.eventName}/${o.at}/${o.who.arn}`),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: o.who.account,
    eventCategory: 'Management',
  };
}

export function runInstances(o: { who: Who; region: string; at: string; instanceType: string; ids: string[] }) {
  return cloudTrailRecord({
    ...o,
    eventName: 'RunInstances',
    request: {
      instancesSet: { items: [{ imageId: 'ami-0fc5d935ebf8bc3bc', minCount: o.ids.length, maxCount: o.ids.length }] },
      instanceType: o.instanceType,
      monitoring: { enabled: false },
      disableApiTermination: false,
    },
    response: {
      requestId: uuid(`resp/${o.at}`),
      reservationId: `r-0${hex(`reservation/${o.at}/${o.region}`, 16)}`,
      ownerId: o.who.account,
      groupSet: {},
      instancesSet: {
        items: o.ids.map((id, n) => ({
          instanceId: id,
          imageId: 'ami-0fc5d935ebf8bc3bc',
          instanceState: { code: 0, name: 'pending' },
          amiLaunchIndex: n,
          instanceType: o.instanceType,
          launchTime: Date.parse(o.at),
          placement: { availabilityZone: `${o.region}a`, tenancy: 'default' },
          monitoring: { state: 'disabled' },
          architecture: 'x86_64',
          rootDeviceType: 'ebs',
          virtualizationType: 'hvm',
        })),
      },
    },
  });
}

export function cloudTrailLog(records: unknown[]) {
  return { Records: records };
}

export function guardDutyFinding(o: {
  account: string;
  region: string;
  type: string;
  severity: number;
  at: string;
  lastSeen?: string;
  instance?: { id: string; type: string };
  lambdaArn?: string;
  eks?: { cluster: string; namespace: string; pod: string; image: string };
  domain?: string;
  count?: number;
  title?: string;
}) {
  const id = hex(`finding/${o.account}/${o.type}/${o.instance?.id ?? o.lambdaArn ?? o.eks?.pod}/${o.at}`, 32);
  const detector = hex(`detector/${o.account}/${o.region}`, 32);
  const resource = o.eks
    ? {
        resourceType: 'EKSCluster',
        eksClusterDetails: {
          name: o.eks.cluster,
          arn: `arn:aws:eks:${o.region}:${o.account}:cluster/${o.eks.cluster}`,
          vpcId: `vpc-0${hex(`vpc/${o.account}`, 16)}`,
          status: 'ACTIVE',
          createdAt: o.at,
        },
        kubernetesDetails: {
          kubernetesWorkloadDetails: {
            name: o.eks.pod,
            type: 'pods',
            uid: uuid(`pod/${o.eks.pod}`),
            namespace: o.eks.namespace,
            containers: [{ name: o.eks.pod.split('-')[0], image: o.eks.image, imagePrefix: o.eks.image.split(':')[0] }],
          },
        },
      }
    : o.lambdaArn
      ? {
          resourceType: 'Lambda',
          lambdaDetails: {
            functionArn: o.lambdaArn,
            functionName: o.lambdaArn.split(':').pop(),
            functionVersion: '$LATEST',
            role: `arn:aws:iam::${o.account}:role/service-role/lambda-exec`,
            lastModifiedAt: o.at,
            revisionId: uuid(`rev/${o.lambdaArn}`),
          },
        }
      : {
          resourceType: 'Instance',
          instanceDetails: {
            availabilityZone: `${o.region}a`,
            imageId: 'ami-0fc5d935ebf8bc3bc',
            instanceId: o.instance!.id,
            instanceState: 'running',
            instanceType: o.instance!.type,
            launchTime: o.at,
            networkInterfaces: [],
            productCodes: [],
            tags: [],
          },
        };
  return {
    accountId: o.account,
    arn: `arn:aws:guardduty:${o.region}:${o.account}:detector/${detector}/finding/${id}`,
    createdAt: o.at,
    description: o.title ?? `${o.type} on ${o.instance?.id ?? o.lambdaArn ?? o.eks?.cluster}.`,
    id,
    partition: 'aws',
    region: o.region,
    resource,
    schemaVersion: '2.0',
    service: {
      action: o.domain
        ? { actionType: 'DNS_REQUEST', dnsRequestAction: { domain: o.domain, protocol: 'UDP', blocked: false } }
        : {
            actionType: 'NETWORK_CONNECTION',
            networkConnectionAction: {
              connectionDirection: 'INBOUND',
              protocol: 'TCP',
              blocked: false,
              localPortDetails: { port: 22, portName: 'SSH' },
            },
          },
      archived: false,
      count: o.count ?? 12,
      detectorId: detector,
      eventFirstSeen: o.at,
      eventLastSeen: o.lastSeen ?? plusMinutes(o.at, 600),
      resourceRole: o.domain ? 'ACTOR' : 'TARGET',
      serviceName: 'guardduty',
    },
    severity: o.severity,
    title: o.title ?? o.type,
    type: o.type,
    updatedAt: o.lastSeen ?? plusMinutes(o.at, 600),
  };
}

export function cpuEnvelope(o: { account: string; region: string; start: string; instances: Array<{ id: string; average: number }> }) {
  const start = Date.parse(o.start);
  const hours = Array.from({ length: 12 }, (_, h) => 11 - h);
  return {
    accountId: o.account,
    region: o.region,
    MetricDataQueries: o.instances.map((i, n) => ({
      Id: `cpu${n}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'InstanceId', Value: i.id }] },
        Period: 3600,
        Stat: 'Average',
      },
      ReturnData: true,
    })),
    MetricDataResults: o.instances.map((i, n) => ({
      Id: `cpu${n}`,
      Label: 'CPUUtilization',
      Timestamps: hours.map((h) => new Date(start + h * 3_600_000).toISOString().replace(/\.000Z$/, 'Z')),
      Values: hours.map((h) => Math.round((i.average + ((h * 7) % 5) / 10 - 0.2) * 100) / 100),
      StatusCode: 'Complete',
    })),
    Messages: [],
  };
}

/**
 * The Cost Anomaly Detection SNS message as a forwarder posts it. (A direct SNS subscription posts
 * it inside the signed HTTP envelope; scenarios cannot sign as AWS, and the envelope itself is
 * covered by the parser's fixtures and the push-channel tests.)
 */
export function costAnomalySns(o: {
  account: string;
  day: string;
  endDay?: string;
  service: string;
  region: string;
  usageType: string;
  expected: number;
  actual: number;
}): string {
  const anomalyId = uuid(`anomaly/${o.account}/${o.day}/${o.service}`);
  const total = Math.round((o.actual - o.expected) * 100) / 100;
  const message = {
    accountId: o.account,
    anomalyDetailsLink: `https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/m/anomalies/${anomalyId}`,
    anomalyEndDate: `${o.endDay ?? o.day}T00:00:00Z`,
    anomalyId,
    anomalyScore: { currentScore: 0.9, maxScore: 0.9 },
    anomalyStartDate: `${o.day}T00:00:00Z`,
    dimensionalValue: o.service,
    impact: {
      maxImpact: total,
      totalActualSpend: o.actual,
      totalExpectedSpend: o.expected,
      totalImpact: total,
      totalImpactPercentage: Math.round((total / o.expected) * 10000) / 100,
    },
    monitorArn: `arn:aws:ce::${o.account}:anomalymonitor/${uuid(`monitor/${o.account}`)}`,
    rootCauses: [
      {
        linkedAccount: o.account,
        linkedAccountName: 'workload',
        region: o.region,
        service: o.service,
        usageType: o.usageType,
        impact: { contribution: total },
      },
    ],
    subscriptionId: uuid(`subscription/${o.account}`),
    subscriptionName: 'daily-anomaly-alerts',
  };
  return JSON.stringify(message);
}
