import { z } from 'zod';
import { PROVIDERS, SIGNAL_KINDS } from '#src/connectors/signal.js';

const pattern = z.string().trim().min(1, 'must not be empty').max(500);

export const createSuppressionSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  reason: z.string().trim().min(1, 'say why this work is legitimate').max(2000),
  match: z
    .object({
      provider: z.enum(PROVIDERS).optional(),
      accountId: z.string().trim().min(1).max(200).optional(),
      principal: pattern.optional(),
      resourcePattern: pattern.optional(),
      findingType: pattern.optional(),
      tag: z.object({ key: z.string().trim().min(1).max(200), value: pattern.optional() }).optional(),
      kinds: z.array(z.enum(SIGNAL_KINDS)).optional(),
    })
    .refine((m) => m.accountId || m.principal || m.resourcePattern || m.findingType || m.tag, {
      message:
        'name at least one of accountId, principal, resourcePattern, findingType or tag: a rule on provider or kind alone would hide everything',
    }),
  expiresAt: z.coerce.date({ error: 'must be an ISO 8601 date-time' }).optional(),
});
