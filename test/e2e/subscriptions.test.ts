import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

const mining = (id: string, accountId: string) => ({
  sourceId: id,
  kind: 'security_finding',
  provider: 'azure',
  accountId,
  region: 'westeurope',
  observedAt: '2026-11-20T10:00:00Z',
  severity: 'HIGH',
  title: 'K8S.NODE_DigitalCurrencyMining',
  mining: true,
  resources: [
    { provider: 'azure', accountId, region: 'westeurope', type: 'azure.aks.node', id: `/subscriptions/${accountId}/nodes/${id}` },
  ],
});

interface EventPayload {
  incidentEvents: { id: string; type: string; incident: { id: string; accounts: string[]; providers: string[] } };
}

function subscribe(client: Client, query: string): { events: EventPayload[]; errors: unknown[]; next(n: number): Promise<void> } {
  const events: EventPayload[] = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  client.subscribe<EventPayload>(
    { query },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        if (value.data) events.push(value.data as EventPayload);
        waiters.splice(0).forEach((w) => w());
      },
      error: (error) => {
        errors.push(error);
        waiters.splice(0).forEach((w) => w());
      },
      complete: () => undefined,
    },
  );
  return {
    events,
    errors,
    next: async (n) => {
      while (events.length < n && errors.length === 0) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

describe('GraphQL subscription incidentEvents across replicas', () => {
  let writer: TestApp;
  let reader: TestApp;
  before(async () => {
    writer = await startTestApp();
    reader = await startTestApp({ MINEWATCH_ROLE: 'api' }, { db: writer.db });
  });
  after(async () => {
    await reader.close();
    await writer.close();
  });

  it('delivers an incident opened on one replica to a subscriber on another, filtered', async () => {
    const url = reader.baseUrl.replace(/^http/, 'ws').replace('[::1]', '127.0.0.1') + '/graphql';
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${ADMIN_KEY}` },
      retryAttempts: 0,
    });
    try {
      const onlyB = subscribe(
        client,
        'subscription { incidentEvents(filter: { account: "sub-b" }) { id type incident { id accounts providers } } }',
      );
      const all = subscribe(client, 'subscription { incidentEvents { id type incident { id accounts } } }');
      // Let both subscriptions register before anything is published.
      await new Promise((r) => setTimeout(r, 300));
      await writer.http
        .post('/v1/ingest/signals')
        .set(writer.auth)
        .send([mining('n1', 'sub-a')])
        .expect(200);
      await writer.settle();
      await writer.http
        .post('/v1/ingest/signals')
        .set(writer.auth)
        .send([mining('n2', 'sub-b')])
        .expect(200);
      await writer.settle();
      await all.next(2);
      await onlyB.next(1);
      assert.deepEqual(all.errors, []);
      assert.deepEqual(onlyB.errors, []);
      assert.deepEqual(
        all.events.map((e) => [e.incidentEvents.type, e.incidentEvents.incident.accounts]),
        [
          ['incident.opened', ['sub-a']],
          ['incident.opened', ['sub-b']],
        ],
      );
      assert.deepEqual(
        onlyB.events.map((e) => e.incidentEvents.incident.accounts),
        [['sub-b']],
      );
      assert.deepEqual(onlyB.events[0]!.incidentEvents.incident.providers, ['azure']);
    } finally {
      await client.dispose();
    }
  });

  it('refuses a subscription without a valid key', async () => {
    const url = reader.baseUrl.replace(/^http/, 'ws').replace('[::1]', '127.0.0.1') + '/graphql';
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: 'Bearer mwk_wrong' },
      retryAttempts: 0,
    });
    const sub = subscribe(client, 'subscription { incidentEvents { id } }');
    await sub.next(1);
    assert.equal(sub.events.length, 0);
    assert.ok(sub.errors.length > 0, 'the connection is refused');
    await client.dispose();
  });
});
