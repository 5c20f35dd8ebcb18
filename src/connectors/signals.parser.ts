import { z } from 'zod';
import {
  PayloadValidationError,
  PROVIDERS,
  SEVERITIES,
  SIGNAL_KINDS,
  type Parser,
  type Signal,
  type ValidationIssue,
} from '#src/connectors/signal.js';

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z' });

const resource = z.object({
  provider: z.enum(PROVIDERS),
  accountId: z.string().min(1),
  region: z.string().min(1).nullable().default(null),
  type: z.string().min(1),
  id: z.string().min(1),
  instanceType: z.string().min(1).nullable().optional(),
});

/** MineWatch's own normalized signal, as other tools (or MineWatch itself) export it. */
const signalSchema = z
  .object({
    source: z.string().min(1).default('signals'),
    sourceId: z.string().min(1).max(512),
    sourceVersion: z.string().min(1).max(200).optional(),
    kind: z.enum(SIGNAL_KINDS),
    provider: z.enum(PROVIDERS),
    accountId: z.string().min(1).max(200),
    region: z.string().min(1).max(100).nullable().default(null),
    observedAt: isoDate,
    observedUntil: isoDate.optional(),
    severity: z.enum(SEVERITIES).default('INFO'),
    title: z.string().min(1).max(1000),
    mining: z.boolean().default(false),
    resources: z.array(resource).max(10_000).default([]),
    principal: z
      .object({
        identity: z.string().nullable().default(null),
        name: z.string().nullable().optional(),
        accessKeyId: z.string().nullable().default(null),
        sourceIp: z.string().nullable().default(null),
        userAgent: z.string().nullable().optional(),
      })
      .nullable()
      .default(null),
    cost: z
      .object({ amount: z.number().finite(), currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD') })
      .nullable()
      .default(null),
    attributes: z.record(z.string(), z.unknown()).default({}),
  })
  .refine((s) => !s.observedUntil || Date.parse(s.observedUntil) >= Date.parse(s.observedAt), {
    message: 'must not be before observedAt',
    path: ['observedUntil'],
  });

function items(body: unknown): { list: unknown[]; base: string } {
  if (Array.isArray(body)) return { list: body, base: '' };
  if (body && typeof body === 'object' && Array.isArray((body as { signals?: unknown }).signals)) {
    return { list: (body as { signals: unknown[] }).signals, base: '/signals' };
  }
  return { list: [body], base: '' };
}

export const parseSignals: Parser = (body) => {
  const { list, base } = items(body);
  const issues: ValidationIssue[] = [];
  const signals: Signal[] = [];
  list.forEach((item, index) => {
    const parsed = signalSchema.safeParse(item);
    if (!parsed.success) {
      const prefix = Array.isArray(body) || base ? `${base}/${index}` : '';
      for (const issue of parsed.error.issues) {
        issues.push({ index, field: `${prefix}/${issue.path.join('/')}`, message: issue.message });
      }
      return;
    }
    const s = parsed.data;
    const observedAt = new Date(s.observedAt).toISOString();
    signals.push({
      ...s,
      observedAt,
      observedUntil: s.observedUntil ? new Date(s.observedUntil).toISOString() : observedAt,
      sourceVersion: s.sourceVersion ?? observedAt,
      raw: item,
    });
  });
  if (issues.length > 0) throw new PayloadValidationError(issues);
  return { signals, ignored: 0 };
};
