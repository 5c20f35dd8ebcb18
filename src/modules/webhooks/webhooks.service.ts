import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { PROVIDERS } from '#src/connectors/signal.js';
import { INCIDENT_SEVERITIES } from '#src/modules/incidents/incident.entity.js';
import { urlProblem } from '#src/modules/webhooks/address-policy.js';
import { endpointWants, TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '#src/modules/webhooks/event-types.js';
import type { WebhookDeliveryAttemptEntity } from '#src/modules/webhooks/webhook-delivery.entity.js';
import type { WebhookEndpointEntity } from '#src/modules/webhooks/webhook-endpoint.entity.js';
import { WebhookJobs } from '#src/modules/webhooks/webhook-jobs.js';
import { WebhookMessages } from '#src/modules/webhooks/webhook-messages.js';
import { WebhookSecrets } from '#src/modules/webhooks/webhook-secrets.js';
import { WebhookSender } from '#src/modules/webhooks/webhook-sender.js';
import { generateSecret, messageId, signatureHeaders } from '#src/modules/webhooks/webhook-signer.js';
import { WebhookErrorCode, WebhookException } from '#src/modules/webhooks/webhook.exception.js';
import type {
  CreatedWebhookModel,
  DeliveryAttemptModel,
  DeliveryPageDto,
  QueuedModel,
  RotatedSecretModel,
  TestDeliveryModel,
  WebhookModel,
} from '#src/modules/webhooks/webhook.model.js';
import { WebhooksRepository } from '#src/modules/webhooks/webhooks.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_GRACE_MS = 24 * 3_600_000;
/** One replay resends at most this many events; the reply says when there were more. */
export const MAX_REPLAY = 10_000;
const REPLAY_PAGE = 500;
// Timeline entries that become webhook events (incident.merged is sent as incident.updated).
const REPLAYABLE = [...WEBHOOK_EVENT_TYPES, 'incident.merged'];

const upper = (s: unknown) => (typeof s === 'string' ? s.toUpperCase() : s);
const lower = (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s);

export const createBody = z
  .object({
    url: z.string({ error: 'must be a URL' }).min(1, 'must be a URL').max(2048, 'must be at most 2048 characters'),
    eventTypes: z
      .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }), {
        error: 'must be a list of event types',
      })
      .min(1, 'must name at least one event type'),
    minSeverity: z.preprocess(upper, z.enum(INCIDENT_SEVERITIES, { error: `must be one of ${INCIDENT_SEVERITIES.join(', ')}` })).optional(),
    providers: z
      .array(z.preprocess(lower, z.enum(PROVIDERS, { error: `must be one of ${PROVIDERS.join(', ')}` })), {
        error: 'must be a list of providers',
      })
      .optional(),
  })
  .strict();

const replayBody = z
  .object({ since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)) })
  .strict();

export const deliveriesQuery = z.object({
  status: z.enum(['pending', 'succeeded', 'failed'], { error: 'must be pending, succeeded or failed' }).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(50),
  cursor: z.string().min(1).optional(),
});

/** Validates a JSON body; a 400 problem names every bad field as a JSON pointer into it. */
function parseBody<S extends z.ZodType>(schema: S, body: unknown, code = WebhookErrorCode.InvalidSubscription): z.infer<S> {
  const parsed = schema.safeParse(body ?? undefined);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({ field: `/${[...at, k].join('/')}`, message: 'is not a known field' }));
    if (at.length === 0 && issue.code === 'invalid_type') return [{ field: '/', message: 'the body must be a JSON object' }];
    return [{ field: `/${at.join('/')}`, message: issue.message }];
  });
  throw new WebhookException(code, `Invalid field${errors.length > 1 ? 's' : ''}: ${errors.map((e) => e.field).join(', ')}.`, errors);
}

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? '/'), message: i.message }));
  throw new WebhookException(
    WebhookErrorCode.InvalidQuery,
    `Invalid query parameter${errors.length > 1 ? 's' : ''}: ${errors.map((e) => e.field).join(', ')}.`,
    errors,
  );
}

function encodeCursor(seq: string): string {
  return Buffer.from(`d:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const match = /^d:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new WebhookException(WebhookErrorCode.InvalidQuery, 'The cursor is not one this API returned.', [
      { field: 'cursor', message: 'invalid cursor' },
    ]);
  return match[1]!;
}

export function toWebhookModel(e: WebhookEndpointEntity): WebhookModel {
  return {
    id: e.id,
    url: e.url,
    eventTypes: e.eventTypes,
    minSeverity: e.minSeverity,
    providers: e.providers,
    status: e.status,
    disabledAt: e.disabledAt,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince,
    previousSecretExpiresAt:
      e.previousSecretExpiresAt && e.previousSecretExpiresAt.getTime() > Date.now() ? e.previousSecretExpiresAt : null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

function toAttemptModel(a: WebhookDeliveryAttemptEntity): DeliveryAttemptModel {
  return { attempt: a.attempt, at: a.at, outcome: a.outcome, statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error };
}

/** Subscriptions and their delivery log, for the admin REST API. */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly secrets: WebhookSecrets,
    private readonly sender: WebhookSender,
    private readonly jobs: WebhookJobs,
    private readonly messages: WebhookMessages,
  ) {}

  async create(body: unknown): Promise<CreatedWebhookModel> {
    const input = parseBody(createBody, body);
    const problem = await urlProblem(input.url, this.sender.policy);
    if (problem) {
      throw new WebhookException(WebhookErrorCode.InvalidSubscription, `The webhook URL is not allowed: ${problem}.`, [
        { field: '/url', message: problem },
      ]);
    }
    const id = randomUUID();
    const secret = generateSecret();
    await this.repo.insertEndpoint({
      id,
      // Stored as parsed, so what was checked (e.g. 0x7f000001 read as 127.0.0.1) is what is called.
      url: new URL(input.url).href,
      eventTypes: [...new Set(input.eventTypes)],
      minSeverity: input.minSeverity ?? null,
      providers: [...new Set(input.providers ?? [])],
      secretSealed: await this.secrets.seal(secret, id),
    });
    this.logger.log({ webhookId: id, eventTypes: input.eventTypes }, 'webhook created');
    return { ...toWebhookModel((await this.repo.findEndpoint(id))!), secret };
  }

  async list(): Promise<WebhookModel[]> {
    return (await this.repo.listEndpoints()).map(toWebhookModel);
  }

  private async endpoint(id: string): Promise<WebhookEndpointEntity> {
    const e = UUID.test(id) ? await this.repo.findEndpoint(id) : null;
    if (!e) throw new WebhookException(WebhookErrorCode.NotFound, `No webhook ${id}.`);
    return e;
  }

  private async activeEndpoint(id: string): Promise<WebhookEndpointEntity> {
    const e = await this.endpoint(id);
    if (e.status !== 'active') {
      throw new WebhookException(
        WebhookErrorCode.Disabled,
        `Webhook ${id} is disabled (${e.disabledReason ?? 'by an operator'}); POST /v1/webhooks/${id}/enable first.`,
      );
    }
    return e;
  }

  async get(id: string): Promise<WebhookModel> {
    const e = await this.endpoint(id);
    const events = await this.repo.endpointEvents(e.id, 20);
    return { ...toWebhookModel(e), events: events.map((v) => ({ type: v.type, at: v.at, detail: v.detail })) };
  }

  async remove(id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.repo.deleteEndpoint(id))) throw new WebhookException(WebhookErrorCode.NotFound, `No webhook ${id}.`);
    this.logger.log({ webhookId: id }, 'webhook deleted');
  }

  async enable(id: string): Promise<WebhookModel> {
    const e = await this.endpoint(id);
    if (await this.repo.enableEndpoint(e.id)) this.logger.log({ webhookId: id }, 'webhook enabled');
    return this.get(id);
  }

  async rotateSecret(id: string): Promise<RotatedSecretModel> {
    const e = await this.endpoint(id);
    const box = await this.secrets.require();
    const secret = generateSecret();
    const expiresAt = await this.repo.rotateSecret(
      e.id,
      (current) => ({ next: box.seal(secret, e.id), previous: current }),
      ROTATION_GRACE_MS,
    );
    if (!expiresAt) throw new WebhookException(WebhookErrorCode.NotFound, `No webhook ${id}.`);
    this.logger.log({ webhookId: id }, 'webhook secret rotated');
    return { id: e.id, secret, previousSecretExpiresAt: expiresAt };
  }

  /**
   * Sends a signed `webhook.test` event now and reports how the receiver answered: status and
   * latency only. Its body is never read back to the caller, so this cannot be used to fetch pages
   * from inside the network.
   */
  async test(id: string): Promise<TestDeliveryModel> {
    const e = await this.endpoint(id);
    const secrets = [await this.secrets.open(e.secretSealed, e.id)];
    if (e.previousSecretSealed && e.previousSecretExpiresAt && e.previousSecretExpiresAt.getTime() > Date.now()) {
      secrets.push(await this.secrets.open(e.previousSecretSealed, e.id));
    }
    const now = new Date();
    const body = JSON.stringify({ type: TEST_EVENT_TYPE, timestamp: now.toISOString(), data: { webhookId: e.id } });
    const r = await this.sender.post(e.url, body, { ...signatureHeaders(secrets, messageId(`test-${randomUUID()}`), now, body) });
    return { ok: r.outcome === 'succeeded', outcome: r.outcome, statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error };
  }

  async deliveries(id: string, query: unknown): Promise<DeliveryPageDto> {
    const e = await this.endpoint(id);
    const q = parseQuery(deliveriesQuery, query);
    const rows = await this.repo.deliveriesPage(e.id, q.limit + 1, q.status, q.cursor ? decodeCursor(q.cursor) : undefined);
    const page = rows.slice(0, q.limit);
    const attempts = await this.repo.attemptsOf(page.map((r) => r.delivery.id));
    const byDelivery = new Map<string, DeliveryAttemptModel[]>();
    for (const a of attempts) byDelivery.set(a.deliveryId, [...(byDelivery.get(a.deliveryId) ?? []), toAttemptModel(a)]);
    const last = page[page.length - 1]?.delivery;
    return {
      items: page.map(({ delivery: d, eventType, incidentId }) => ({
        id: d.id,
        webhookId: messageId(d.id),
        sequence: Number(d.eventId),
        eventType,
        incidentId,
        status: d.status,
        attemptCount: d.attempts,
        nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
        lastStatusCode: d.lastStatusCode,
        lastLatencyMs: d.lastLatencyMs,
        lastError: d.lastError,
        createdAt: d.createdAt,
        completedAt: d.completedAt,
        attempts: byDelivery.get(d.id) ?? [],
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.seq) : null,
    };
  }

  /** One more attempt of one delivery, now, whatever became of it; same webhook-id as before. */
  async retry(id: string, deliveryId: string): Promise<QueuedModel> {
    const e = await this.activeEndpoint(id);
    if (!UUID.test(deliveryId) || !(await this.repo.deliveryExists(e.id, deliveryId))) {
      throw new WebhookException(WebhookErrorCode.DeliveryNotFound, `No delivery ${deliveryId} for webhook ${id}.`);
    }
    await this.jobs.prepare();
    const queued = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.requeue(tx, e.id, deliveryId))) return false;
      await this.jobs.enqueue(tx, [{ id: deliveryId }]);
      return true;
    });
    if (!queued) throw new WebhookException(WebhookErrorCode.Busy, `Delivery ${deliveryId} is being sent right now.`);
    return { queued: 1 };
  }

  /**
   * Sends every matching incident event since `since` again: a delivery for events this endpoint
   * never got (created later, or disabled meanwhile), and the existing one (same webhook-id) with
   * a fresh retry schedule for those it did. Deliveries still pending keep their course.
   */
  async replay(id: string, body: unknown): Promise<QueuedModel> {
    const e = await this.activeEndpoint(id);
    const { since } = parseBody(replayBody, body, WebhookErrorCode.InvalidQuery);
    await this.jobs.prepare();
    let queued = 0;
    let seen = 0;
    let afterId = '0';
    for (;;) {
      const events = await this.repo.eventsSince(since, REPLAYABLE, afterId, Math.min(REPLAY_PAGE, MAX_REPLAY - seen));
      if (events.length === 0) break;
      seen += events.length;
      afterId = events[events.length - 1]!.id;
      queued += await this.repo.transaction(async (tx) => {
        const facts = await this.repo.messageFacts(
          tx,
          events.map((v) => v.id),
        );
        const wanted: string[] = [];
        for (const event of events) {
          let fact = facts.get(event.id);
          if (!fact) {
            const built = await this.messages.build(tx, event);
            if (!built) continue;
            await this.repo.insertMessage(tx, built);
            fact = { eventId: event.id, eventType: built.eventType, severity: built.severity, providers: built.providers, at: event.at };
          }
          if (endpointWants(e, { type: fact.eventType as WebhookEventType, severity: fact.severity, providers: fact.providers }))
            wanted.push(event.id);
        }
        const ids = await this.repo.replayDeliveries(tx, e.id, wanted);
        await this.jobs.enqueue(
          tx,
          ids.map((d) => ({ id: d })),
        );
        return ids.length;
      });
      if (seen >= MAX_REPLAY) break;
    }
    this.logger.log({ webhookId: id, since, queued }, 'webhook replay queued');
    return { queued, ...(seen >= MAX_REPLAY ? { truncated: true } : {}) };
  }
}
