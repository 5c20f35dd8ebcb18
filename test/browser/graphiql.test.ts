import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { CHROMIUM, openPage, type Page } from '../support/chromium.js';

const RESPONSE = `(document.querySelector('.graphiql-response')?.innerText ?? '')`;

describe(
  'GraphiQL in a real browser with every outside host blocked',
  { skip: CHROMIUM ? false : 'Chromium is not installed (.ci/run installs it)' },
  () => {
    let t: TestApp;
    let page: Page;
    before(async () => {
      t = await startTestApp();
      page = await openPage(`${t.baseUrl.replace('[::1]', '127.0.0.1')}/graphiql#key=${ADMIN_KEY}`);
    });
    after(async () => {
      await page?.close();
      await t?.close();
    });

    it('loads, takes the key from the fragment and runs a query', async () => {
      await page.waitFor(`document.querySelectorAll('.monaco-editor').length >= 3`);
      assert.equal(await page.evaluate('document.title'), 'MineWatch GraphiQL');
      assert.ok(!(await page.evaluate<string>('location.href')).includes(ADMIN_KEY), 'the key leaves the address bar');
      await page.evaluate(`document.querySelector('.graphiql-execute-button').click()`);
      const response = await page.waitFor<string>(`${RESPONSE}.includes('totalCount') && ${RESPONSE}`);
      assert.match(response, /"data"/);
      assert.doesNotMatch(response, /UNAUTHENTICATED/);
    });

    it('runs the subscription tab and receives an incident event', async () => {
      await page.evaluate(`[...document.querySelectorAll('.graphiql-tab')][2].querySelector('button').click()`);
      await page.waitFor(`document.querySelector('.graphiql-editor')?.innerText.includes('incidentEvents')`);
      // GraphiQL finishes switching tabs a little after the editor shows the new text.
      await new Promise((r) => setTimeout(r, 1000));
      await page.evaluate(`document.querySelector('.graphiql-execute-button').click()`);
      for (let i = 0; i < 150 && !page.requests.some((u) => u.startsWith('ws://')); i++) await new Promise((r) => setTimeout(r, 100));
      // Then a moment for the subscription to register on the server before the event is made.
      await new Promise((r) => setTimeout(r, 1000));
      await t.http
        .post('/v1/ingest/signals')
        .set(t.auth)
        .send({
          sourceId: 'browser-1',
          kind: 'security_finding',
          provider: 'gcp',
          accountId: 'analyst-demo',
          region: 'us-central1',
          observedAt: '2026-11-20T10:00:00Z',
          title: 'Execution: Cryptocurrency Mining Hash Match',
          mining: true,
          resources: [
            {
              provider: 'gcp',
              accountId: 'analyst-demo',
              region: 'us-central1',
              type: 'gcp.compute.instance',
              id: '//compute.googleapis.com/projects/analyst-demo/zones/us-central1-a/instances/vm-1',
            },
          ],
        })
        .expect(200);
      const response = await page.waitFor<string>(`${RESPONSE}.includes('incident.opened') && ${RESPONSE}`);
      assert.match(response, /incidentEvents/);
    });

    it('asked nothing of any host but this service', async () => {
      const outside = page.requests.filter((u) => !/^(https?|wss?):\/\/127\.0\.0\.1[:/]/.test(u) && !/^(data|blob|about):/.test(u));
      assert.deepEqual(outside, []);
      assert.ok(
        page.requests.some((u) => u.startsWith('ws://127.0.0.1')),
        'the subscription used a same-origin WebSocket',
      );
      assert.deepEqual(page.errors, []);
    });
  },
);
