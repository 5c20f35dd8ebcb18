import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { leakedKeyScenario, SCENARIO, scenarioTotalImpact } from '#src/demo/leaked-key.scenario.js';
import { startTestApp, type TestApp } from '../support/app.js';

interface Incident {
  id: string;
  severity: string;
  regions: string[];
  resources: Array<{ id: string; instanceType: string | null }>;
  costImpact: { amount: number; currency: string };
  attackVector: { accessKeyIds: string[]; sourceIps: string[]; principals: string[] };
  techniques: string[];
}

describe('demo: leaked access key, GPU fleet in four regions (AWS, end to end over HTTP)', () => {
  let t: TestApp;
  const payloads = leakedKeyScenario();

  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  async function sendAll(): Promise<Array<{ accepted: number; duplicates: number }>> {
    const replies = [];
    for (const p of payloads) {
      const body = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
      const res = await t.http.post(`/v1/ingest/${p.source}`).set(t.auth).set('content-type', p.contentType).send(body);
      assert.equal(res.status, 200, `${p.description}: ${res.text}`);
      replies.push(res.body);
    }
    await t.settle();
    return replies;
  }

  async function counts() {
    const status = (await t.http.get('/v1/status').set(t.auth).expect(200)).body;
    const incidents = (await t.http.get('/v1/incidents?limit=100').set(t.auth).expect(200)).body.items as Incident[];
    const evidence = await Promise.all(
      incidents.map(async (i) => (await t.http.get(`/v1/incidents/${i.id}`).set(t.auth).expect(200)).body.evidence.length),
    );
    return { signals: status.signals.total, incidents: incidents.length, evidence, costs: incidents.map((i) => i.costImpact.amount) };
  }

  it('ends with exactly one incident: 50 instances, 4 regions, the access key, the cost impact', async () => {
    const replies = await sendAll();
    assert.ok(replies.every((r) => r.duplicates === 0));
    const { items } = (await t.http.get('/v1/incidents').set(t.auth).expect(200)).body as { items: Incident[] };
    assert.equal(items.length, 1);
    const [incident] = items as [Incident];
    assert.equal(incident.severity, 'CRITICAL');
    const instances = incident.resources.filter((r) => r.id.startsWith('i-'));
    assert.equal(instances.length, 50);
    assert.ok(instances.every((r) => r.instanceType === 'p3.8xlarge'));
    assert.deepEqual([...incident.regions].sort(), ['ap-southeast-1', 'eu-west-1', 'us-east-1', 'us-west-2']);
    assert.deepEqual(incident.attackVector.accessKeyIds, [SCENARIO.accessKeyId]);
    assert.deepEqual(incident.attackVector.sourceIps, [SCENARIO.sourceIp]);
    const impact = scenarioTotalImpact();
    assert.ok(Math.abs(incident.costImpact.amount - impact) / impact <= 0.1, `cost ${incident.costImpact.amount} within 10 % of ${impact}`);
    assert.ok(incident.techniques.includes('T1496'));

    const report = (await t.http.get(`/v1/incidents/${incident.id}/report?format=text`).set(t.auth).expect(200)).text;
    assert.match(report, /^Cloud Cryptomining Incident Report$/m);
    assert.match(report, /Account: 123456789012 .*Sources: AWS Cost Anomaly Detection \+ GuardDuty/);
    assert.match(report, /Mining instances: 50 \(p3\.8xlarge\)\s+Regions: us-east-1, us-west-2, eu-west-1, ap-southeast-1/);
    assert.match(report, /Estimated cost impact: \$14,814/);
    assert.match(
      report,
      /Attack vector: access key AKIAQX3LEAKEDKEYWXYZ \(developer-user\) from 185\.220\.101\.47, first call 2026-11-20 22:14 UTC/,
    );
    assert.match(report, /GuardDuty findings: CryptoCurrency:EC2\/BitcoinTool\.B!DNS: 50/);
    assert.match(report, /\[ \] Terminate the 50 EC2 instance/);
    assert.match(report, /\[ \] Deactivate access key AKIAQX3LEAKEDKEYWXYZ/);
    assert.match(report, /\[ \] Cancel spot requests/);
    for (const format of ['markdown', 'json', 'ocsf']) {
      await t.http.get(`/v1/incidents/${incident.id}/report?format=${format}`).set(t.auth).expect(200);
    }
    const ocsf = (await t.http.get(`/v1/incidents/${incident.id}/report?format=ocsf`).set(t.auth).expect(200)).body;
    assert.equal(ocsf.class_uid, 2004);
    await t.http.get(`/v1/incidents/${incident.id}/report?format=pdf`).set(t.auth).expect(400);
  });

  it('re-sending every payload changes no counts', async () => {
    const before = await counts();
    const replies = await sendAll();
    assert.ok(
      replies.every((r) => r.accepted === 0),
      'everything is a duplicate',
    );
    assert.deepEqual(await counts(), before);
  });

  it('a malformed GuardDuty payload gets 400 problem+json naming the field, and nothing is stored', async () => {
    const before = await counts();
    const finding = (payloads.find((p) => p.source === 'aws.guardduty')!.body as { findings: Array<Record<string, unknown>> }).findings[0]!;
    const broken = {
      findings: [
        { ...finding, id: 'new-finding-1' },
        { ...finding, id: 'new-finding-2', updatedAt: 'XXXX-XX-XXTXX:XX:XXZ' },
      ],
    };
    const res = await t.http.post('/v1/ingest/aws.guardduty').set(t.auth).send(broken).expect(400);
    assert.match(res.headers['content-type'], /application\/problem\+json/);
    assert.deepEqual(
      res.body.errors.map((e: { index: number; field: string }) => [e.index, e.field]),
      [[1, '/findings/1/updatedAt']],
    );
    await t.settle();
    assert.deepEqual(await counts(), before);
  });
});
