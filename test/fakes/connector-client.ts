import assert from 'node:assert/strict';

/** A connector run as `GET /v1/connectors/{id}/runs` lists it. */
export interface RunView {
  id: string;
  trigger: string;
  slot: string;
  status: string;
  itemsFetched: number;
  pages: number;
  throttled: number;
  streams: Array<{ stream: string; items: number; pages: number; error: string | null }>;
  error: string | null;
  finishedAt: string | null;
}

type Get = (path: string) => Promise<{ status: number; body: unknown }>;

/** Talks to the connector API over HTTP as an operator's script would. */
export function connectorClient(baseUrl: string, key: string) {
  const request = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const res = await fetch(`${baseUrl.replace('[::1]', '127.0.0.1')}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? (JSON.parse(text) as unknown) : null };
  };
  const get: Get = (path) => request('GET', path);
  return {
    request,
    async create(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
      const res = await request('POST', '/v1/connectors', body);
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string } & Record<string, unknown>;
    },
    async runs(id: string): Promise<RunView[]> {
      const res = await get(`/v1/connectors/${id}/runs?limit=100`);
      assert.equal(res.status, 200);
      return (res.body as { items: RunView[] }).items;
    },
    /** Waits until `count` runs of the connector have finished (any outcome), and returns them newest first. */
    async finishedRuns(id: string, count: number, timeoutMs = 90_000): Promise<RunView[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runs = await this.runs(id);
        const finished = runs.filter((r) => r.finishedAt !== null);
        if (finished.length >= count && finished.length === runs.length) return runs;
        if (Date.now() > deadline)
          throw new Error(`waited for ${count} finished runs of ${id}; have ${JSON.stringify(runs.map((r) => r.status))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}
