import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's Chromium, which .ci/run installs; tests that need it skip with a reason elsewhere. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

export interface Page {
  evaluate<T>(expression: string): Promise<T>;
  waitFor<T>(expression: string, ms?: number): Promise<T>;
  /** Every URL any target of the browser requested (pages, workers). */
  requests: string[];
  errors: string[];
  close(): Promise<void>;
}

/**
 * Headless Chromium driven over the DevTools protocol with Node's own WebSocket: no browser
 * download, no driver. Every host but 127.0.0.1 resolves to nothing, so a page that needs the
 * internet fails visibly.
 */
export async function openPage(url: string): Promise<Page> {
  if (!CHROMIUM) throw new Error('Chromium is not installed');
  const profile = mkdtempSync(join(tmpdir(), 'minewatch-chromium-'));
  const chrome: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    chrome.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    chrome.once('exit', () => reject(new Error(`chromium exited: ${err.slice(-500)}`)));
  });
  const ws = new WebSocket(endpoint);
  await new Promise((r, j) => {
    ws.addEventListener('open', r, { once: true });
    ws.addEventListener('error', j, { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const requests: string[] = [];
  const errors: string[] = [];
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as {
      id?: number;
      error?: unknown;
      result?: unknown;
      method?: string;
      params?: Record<string, unknown>;
      sessionId?: string;
    };
    if (msg.id && pending.has(msg.id)) {
      const p = pending.get(msg.id)!;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
      else p.resolve(msg.result);
      return;
    }
    const params = msg.params ?? {};
    if (msg.method === 'Network.requestWillBeSent') requests.push(String((params['request'] as { url: string }).url));
    if (msg.method === 'Network.webSocketCreated') requests.push(String(params['url']));
    if (msg.method === 'Runtime.exceptionThrown') errors.push(JSON.stringify(params['exceptionDetails']).slice(0, 500));
    if (msg.method === 'Target.attachedToTarget') {
      // Workers (Monaco, GraphQL language) are targets too: watch their requests as well.
      const session = String(params['sessionId']);
      void send('Network.enable', {}, session).catch(() => undefined);
      void send('Runtime.runIfWaitingForDebugger', {}, session).catch(() => undefined);
    }
  });
  const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  for (const domain of ['Network', 'Runtime', 'Page']) await send(`${domain}.enable`, {}, sessionId);
  await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sessionId);
  await send('Page.navigate', { url }, sessionId);

  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)) as {
      result: { value: T };
    };
    return r.result.value;
  };
  return {
    evaluate,
    waitFor: async <T>(expression: string, ms = 30_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const value = await evaluate<T>(expression).catch(() => undefined);
        if (value) return value;
        if (Date.now() > end) throw new Error(`timed out waiting for: ${expression}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    requests,
    errors,
    close: async () => {
      await send('Browser.close').catch(() => undefined);
      chrome.kill('SIGKILL');
      ws.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
