import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request a fake answered, as the assertions of a test read it. */
export interface FakeCall {
  /** e.g. `guardduty:ListFindings` */
  operation: string;
  region: string | null;
  /** What makes this request unique: its time window, filter and page token. */
  key: string;
  status: number;
  /** The credential the request was made with (AWS access key id, bearer token prefix). */
  principal: string | null;
  /** False for listings that are no time window (ListDetectors): asking again is no refetch. */
  windowed?: boolean;
}

/** Makes the next requests of an operation fail: throttled or a server error, `times` times. */
export interface Fault {
  operation: string;
  kind: 'throttle' | 'error';
  times: number;
  /** Only the request for this page (1 = the first page, 2 = the one after the first token …). */
  page?: number;
  /** Only in this region (AWS region, Azure or GCP location). */
  region?: string;
}

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** An opaque page token that says where the next page starts; any change to the request invalidates it. */
export function pageToken(offset: number, key: string): string {
  return Buffer.from(JSON.stringify({ offset, key })).toString('base64url');
}

export function readToken(token: string | null | undefined, key: string): number {
  if (!token) return 0;
  const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: number; key: string };
  if (decoded.key !== key) throw new Error('the page token belongs to another request');
  return decoded.offset;
}

/** The page a token stands for: 1 for none, then 2, 3 … (offsets divided by the page size). */
export function pageNumber(offset: number, size: number): number {
  return Math.floor(offset / size) + 1;
}

/**
 * The loopback HTTP(S) server under every cloud fake: it records each call (operation, region,
 * request identity, status) and applies the faults a test arms, so a test can say "throttle the
 * first two ListFindings" or "fail the second page of LookupEvents seven times".
 */
export abstract class FakeServer {
  readonly calls: FakeCall[] = [];
  readonly faults: Fault[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly tls?: { key: string; cert: string }) {}

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Successful calls of one operation. */
  succeeded(operation: string): FakeCall[] {
    return this.calls.filter((c) => c.operation === operation && c.status < 300);
  }

  /** The same request answered successfully more than once: a window fetched twice. */
  duplicates(): FakeCall[] {
    const seen = new Set<string>();
    const twice: FakeCall[] = [];
    for (const c of this.calls) {
      if (c.status >= 300 || c.windowed === false) continue;
      const id = `${c.operation}\u0000${c.region}\u0000${c.key}`;
      if (seen.has(id)) twice.push(c);
      seen.add(id);
    }
    return twice;
  }

  /** Consumes one matching fault, if any is armed for this operation and page. */
  protected fault(operation: string, page: number, region: string | null = null): Fault['kind'] | null {
    const fault = this.faults.find(
      (f) =>
        f.operation === operation &&
        f.times > 0 &&
        (f.page === undefined || f.page === page) &&
        (f.region === undefined || f.region === region),
    );
    if (!fault) return null;
    fault.times -= 1;
    return fault.kind;
  }

  protected record(call: FakeCall): void {
    this.calls.push(call);
  }

  protected abstract handle(request: FakeRequest): Promise<FakeReply> | FakeReply;

  async start(): Promise<this> {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: FakeRequest = {
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', 'http://fake'),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        Promise.resolve()
          .then(() => this.handle(request))
          .catch((error: unknown) => ({
            status: 500,
            headers: { 'content-type': 'text/plain' },
            body: `fake failed: ${error instanceof Error ? error.stack : String(error)}`,
          }))
          .then((reply) => {
            res.writeHead(reply.status, { 'content-length': Buffer.byteLength(reply.body), ...(reply.headers ?? {}) });
            res.end(reply.body);
          });
      });
    };
    this.server = this.tls ? createHttps({ key: this.tls.key, cert: this.tls.cert }, listener) : createHttp(listener);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
