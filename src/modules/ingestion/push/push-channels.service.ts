import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OAuth2Client } from 'google-auth-library';
import { APP_CONFIG, type AppConfig } from '#src/config/config.js';
import { isSnsEnvelope, isSnsHost, snsSignatureProblem, type SnsEnvelope } from '#src/modules/ingestion/push/sns-verifier.js';
import { IngestionErrorCode, IngestionException } from '#src/modules/ingestion/ingestion.exception.js';

/** Outbound HTTPS for the push handshakes (SNS certificates, SubscribeURL, Google's OIDC keys); replaced in tests. */
export interface PushHttp {
  getText(url: string): Promise<string>;
  /** Google's current token-signing certificates, by key id. */
  googleCerts(): Promise<Record<string, string>>;
}

export const PUSH_HTTP = Symbol('PUSH_HTTP');

// google-auth-library loads only where Pub/Sub OIDC verification is configured and used.
let oauthClient: Promise<OAuth2Client> | undefined;
function oauth(): Promise<OAuth2Client> {
  oauthClient ??= import('google-auth-library').then((m) => new m.OAuth2Client());
  return oauthClient;
}

export const fetchPushHttp: PushHttp = {
  async getText(url) {
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${new URL(url).hostname} answered ${res.status}`);
    return res.text();
  },
  async googleCerts() {
    return (await (await oauth()).getFederatedSignonCertsAsync()).certs as Record<string, string>;
  },
};

/** What the controller answers instead of ingesting, for a handshake. */
export interface HandshakeReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * The handshakes of the push channels security platforms use, before a payload reaches its parser:
 * SNS subscription confirmation and signature verification, and Event Grid's validation (both its
 * own event schema and the CloudEvents OPTIONS request). Pub/Sub push envelopes need no handshake;
 * their parsers unwrap them.
 */
@Injectable()
export class PushChannelsService {
  private readonly logger = new Logger(PushChannelsService.name);
  private readonly certificates = new Map<string, Promise<string>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PUSH_HTTP) private readonly http: PushHttp,
  ) {}

  /** A handshake reply, or null when the body is a payload to ingest. */
  async handshake(headers: Record<string, string | string[] | undefined>, body: unknown): Promise<HandshakeReply | null> {
    const doc =
      typeof body === 'string' && body.trimStart().startsWith('{')
        ? safeJson(body)
        : typeof body === 'string' && body.trimStart().startsWith('[')
          ? safeJson(body)
          : body;

    if (headers['aeg-event-type'] === 'SubscriptionValidation' || isEventGridValidation(doc)) {
      const event = (Array.isArray(doc) ? doc[0] : doc) as { data?: { validationCode?: string } } | undefined;
      const code = event?.data?.validationCode;
      if (!code)
        throw new IngestionException(IngestionErrorCode.InvalidPayload, 'Event Grid validation without data.validationCode.', [
          { index: 0, field: '/0/data/validationCode', message: 'is required' },
        ]);
      this.logger.log('answered an Event Grid subscription validation');
      return { status: 200, body: { validationResponse: code } };
    }

    if (this.config.pubsubAudience && isPubSubPush(doc)) await this.verifyPubSub(headers);

    if (isSnsEnvelope(doc)) {
      await this.verifySns(doc);
      if (doc.Type === 'SubscriptionConfirmation') {
        if (!isSnsHost(doc.SubscribeURL)) throw this.refused('SubscribeURL is not an https://sns.<region>.amazonaws.com address');
        await this.http.getText(doc.SubscribeURL!);
        this.logger.log({ topic: doc.TopicArn }, 'confirmed an SNS subscription');
        return { status: 200, body: { confirmed: true, topicArn: doc.TopicArn } };
      }
      if (doc.Type === 'UnsubscribeConfirmation') return { status: 200, body: { unsubscribed: true, topicArn: doc.TopicArn } };
    }
    return null;
  }

  /** The CloudEvents webhook handshake: an OPTIONS request naming the origin that will post. */
  abuseProtection(headers: Record<string, string | string[] | undefined>): HandshakeReply | null {
    const origin = headers['webhook-request-origin'];
    if (typeof origin !== 'string') return null;
    return { status: 200, body: '', headers: { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', allow: 'POST' } };
  }

  private async verifySns(e: SnsEnvelope): Promise<void> {
    if (!this.config.snsVerify) return;
    if (!isSnsHost(e.SigningCertURL)) throw this.refused('SigningCertURL is not an https://sns.<region>.amazonaws.com address');
    const url = e.SigningCertURL!;
    let certificate = this.certificates.get(url);
    if (!certificate) {
      certificate = this.http.getText(url);
      // Certificates rotate rarely; a failed download is not remembered.
      certificate.catch(() => this.certificates.delete(url));
      if (this.certificates.size > 50) this.certificates.clear();
      this.certificates.set(url, certificate);
    }
    let pem: string;
    try {
      pem = await certificate;
    } catch (error) {
      throw this.refused(`the SNS signing certificate could not be fetched (${error instanceof Error ? error.message : String(error)})`);
    }
    const problem = snsSignatureProblem(e, pem);
    if (problem) throw this.refused(problem);
  }

  /**
   * Pub/Sub push with authentication sends a Google-signed OIDC token for the configured audience;
   * when MINEWATCH_PUBSUB_AUDIENCE is set, a push without a valid one is refused.
   */
  private async verifyPubSub(headers: Record<string, string | string[] | undefined>): Promise<void> {
    const token = typeof headers['authorization'] === 'string' ? /^Bearer\s+(\S+)$/i.exec(headers['authorization'])?.[1] : undefined;
    const refuse = (why: string) =>
      new IngestionException(IngestionErrorCode.UnverifiedPush, `Pub/Sub push refused: ${why}.`, [
        { index: null, field: 'header Authorization', message: why },
      ]);
    if (!token || token.startsWith('mwk_')) throw refuse('no OIDC token in Authorization (send the API key as ?key=)');
    try {
      await (
        await oauth()
      ).verifySignedJwtWithCertsAsync(token, await this.http.googleCerts(), this.config.pubsubAudience!, [
        'https://accounts.google.com',
        'accounts.google.com',
      ]);
    } catch (error) {
      throw refuse(`the OIDC token does not verify (${error instanceof Error ? error.message.split('\n')[0] : 'invalid'})`);
    }
  }

  private refused(why: string): IngestionException {
    return new IngestionException(IngestionErrorCode.UnverifiedPush, `SNS message refused: ${why}.`, [
      { index: null, field: '/Signature', message: why },
    ]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isPubSubPush(doc: unknown): boolean {
  const d = doc as { message?: { data?: unknown }; subscription?: unknown } | null;
  return !!d && typeof d === 'object' && typeof d.subscription === 'string' && typeof d.message === 'object' && d.message !== null;
}

function isEventGridValidation(doc: unknown): boolean {
  const first = (Array.isArray(doc) ? doc[0] : doc) as { eventType?: unknown } | undefined;
  return first?.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent';
}
