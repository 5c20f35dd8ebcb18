import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** How the receiver answers the next requests. */
export type ReceiverMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'hold' };

export interface ReceivedMessage {
  webhookId: string;
  body: string;
  type: string;
  sequence: number | null;
  incidentId: string | null;
  /** How many times it was processed (a retry of a message already processed counts here). */
  times: number;
}

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * A security platform's webhook endpoint, as a receiver following Standard Webhooks writes it:
 * verify the signature with the `standardwebhooks` package, dedupe on `webhook-id`, answer 2xx
 * once the message is processed. It can be told to be down, to fail, to be slow, or to hold a
 * request open (to kill the sender mid-delivery).
 */
export class WebhookReceiver {
  mode: ReceiverMode = { kind: 'ok' };
  /** Every secret a signature may be made with (both, during a rotation). */
  secrets: string[] = [];
  readonly messages = new Map<string, ReceivedMessage>();
  readonly requests: ReceivedRequest[] = [];
  /** Requests whose signature did not verify with any secret: must stay zero. */
  readonly invalid: Array<{ webhookId: string; error: string }> = [];
  /** Same webhook-id with a different body: must stay zero. */
  readonly conflicting: string[] = [];
  private held: ServerResponse[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/minewatch`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Down: the port refuses connections until `start(receiver.port)` again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.held = [];
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drops the requests being held without answering them. */
  dropHeld(): void {
    for (const res of this.held) res.socket?.destroy();
    this.held = [];
  }

  sequences(): Set<number> {
    return new Set([...this.messages.values()].map((m) => m.sequence).filter((s): s is number => s !== null));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    this.requests.push({ headers, body });
    const mode = this.mode;
    if (mode.kind === 'hold') {
      this.held.push(res);
      return;
    }
    if (mode.kind === 'status') {
      res.writeHead(mode.status, mode.headers ?? {}).end(mode.body ?? '');
      return;
    }
    if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.ms));
    const webhookId = headers['webhook-id'] ?? '';
    if (!this.verify(webhookId, body, headers)) {
      res.writeHead(401).end();
      return;
    }
    const seen = this.messages.get(webhookId);
    if (seen) {
      seen.times++;
      if (seen.body !== body) this.conflicting.push(webhookId);
    } else {
      const parsed = JSON.parse(body) as { type: string; data?: { sequence?: number; incident?: { id?: string } } };
      this.messages.set(webhookId, {
        webhookId,
        body,
        type: parsed.type,
        sequence: parsed.data?.sequence ?? null,
        incidentId: parsed.data?.incident?.id ?? null,
        times: 1,
      });
    }
    res.writeHead(204).end();
  }

  private verify(webhookId: string, body: string, headers: Record<string, string>): boolean {
    const errors: string[] = [];
    for (const secret of this.secrets) {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    this.invalid.push({ webhookId, error: errors.join('; ') || 'no secret configured' });
    return false;
  }
}

/** Polls `check` until it returns true; `what` names the condition in the failure. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
