import type { SignalView } from '#src/modules/correlation/correlation.types.js';
import { linkKeysOf } from '#src/modules/correlation/link-keys.js';

let seq = 0;

/** A valid signal as the rules see it; each test overrides only what it checks. */
export function signalFactory(overrides: Partial<SignalView> = {}): SignalView {
  seq++;
  const base: SignalView = {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    source: 'aws.guardduty',
    sourceId: `finding-${seq}`,
    kind: 'security_finding',
    provider: 'aws',
    accountId: '123456789012',
    region: 'us-east-1',
    observedAt: new Date('2026-11-20T10:00:00Z'),
    observedUntil: new Date('2026-11-20T12:00:00Z'),
    severity: 'HIGH',
    title: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
    mining: true,
    resources: [
      {
        provider: 'aws',
        accountId: '123456789012',
        region: 'us-east-1',
        type: 'aws.ec2.instance',
        id: `i-${seq}`,
        instanceType: 'p3.8xlarge',
      },
    ],
    principal: null,
    cost: null,
    attributes: { findingType: 'CryptoCurrency:EC2/BitcoinTool.B!DNS' },
    linkKeys: [],
  };
  const s = { ...base, ...overrides };
  return { ...s, linkKeys: overrides.linkKeys ?? linkKeysOf(s) };
}

export function launch(overrides: Partial<SignalView> & { instanceIds: string[]; accessKeyId?: string; region?: string }): SignalView {
  const { instanceIds, accessKeyId = 'AKIAIOSFODNN7EXAWXYZ', ...rest } = overrides;
  const region = rest.region ?? 'us-east-1';
  return signalFactory({
    source: 'aws.cloudtrail',
    kind: 'provisioning',
    mining: false,
    severity: 'INFO',
    title: 'RunInstances',
    observedAt: new Date('2026-11-20T09:00:00Z'),
    observedUntil: new Date('2026-11-20T09:00:00Z'),
    region,
    resources: instanceIds.map((id) => ({
      provider: 'aws' as const,
      accountId: '123456789012',
      region,
      type: 'aws.ec2.instance',
      id,
      instanceType: 'p3.8xlarge',
    })),
    principal: {
      identity: 'arn:aws:iam::123456789012:user/developer-user',
      name: 'developer-user',
      accessKeyId,
      sourceIp: '185.220.101.7',
    },
    attributes: { eventName: 'RunInstances', costIncurring: true, instanceType: 'p3.8xlarge' },
    ...rest,
  });
}
