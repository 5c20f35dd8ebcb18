import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PUSH_HTTP, type PushHttp } from '#src/modules/ingestion/push/push-channels.service.js';
import { stringToSign, type SnsEnvelope } from '#src/modules/ingestion/push/sns-verifier.js';
import { readFixture, readFixtureText } from '../support/fixtures.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

// A local key pair stands in for AWS's SNS signing certificate; the service fetches it through
// PushHttp, which this test replaces, from a URL that still has to be an SNS address.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local-test.pem';

function sign<T extends SnsEnvelope>(envelope: T, version: '1' | '2' = '1'): T {
  const signer = createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
  signer.update(stringToSign({ ...envelope, SignatureVersion: version }));
  return { ...envelope, SignatureVersion: version, SigningCertURL: CERT_URL, Signature: signer.sign(privateKey, 'base64') };
}

describe('push channels: SNS, Event Grid, Pub/Sub', () => {
  let t: TestApp;
  const fetched: string[] = [];
  before(async () => {
    t = await startTestApp();
    const http = t.app.get<PushHttp>(PUSH_HTTP);
    http.getText = async (url: string) => {
      fetched.push(url);
      if (url === CERT_URL) return publicKey.export({ type: 'spki', format: 'pem' }).toString();
      if (url.startsWith('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription')) return '<ConfirmSubscriptionResponse/>';
      throw new Error(`unexpected fetch ${url}`);
    };
  });
  after(async () => t.close());

  const topic = 'arn:aws:sns:us-east-1:123456789012:cost-anomaly-alerts';
  const basic = { authorization: `Basic ${Buffer.from(`sns:${ADMIN_KEY}`).toString('base64')}` };

  it('confirms an SNS subscription whose signature verifies, with the key as basic auth', async () => {
    const confirmation = sign({
      Type: 'SubscriptionConfirmation',
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: '2336412f37fb687f5d51e6e2425f004aed',
      TopicArn: topic,
      Message: `You have chosen to subscribe to the topic ${topic}.`,
      SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=2336412f37fb687f5d51e6e2425f004aed`,
      Timestamp: '2026-11-20T00:00:00.000Z',
    });
    const res = await t.http
      .post('/v1/ingest/aws.cost-anomaly')
      .set(basic)
      .set('content-type', 'text/plain; charset=UTF-8')
      .send(JSON.stringify(confirmation))
      .expect(200);
    assert.deepEqual(res.body, { confirmed: true, topicArn: topic });
    assert.ok(fetched.some((u) => u.startsWith('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription')));
  });

  it('ingests a signed SNS notification and refuses a forged one, storing nothing', async () => {
    const message = JSON.stringify(readFixture('aws/cost-anomaly/sns-message-docs-example.json'));
    const notification = sign(
      {
        Type: 'Notification',
        MessageId: 'a1b2',
        TopicArn: topic,
        Subject: 'AWS Cost Anomaly Detection Alert',
        Message: message,
        Timestamp: '2026-11-20T08:00:00.000Z',
      },
      '2',
    );
    const ok = await t.http
      .post('/v1/ingest/aws.cost-anomaly')
      .set(basic)
      .set('content-type', 'text/plain; charset=UTF-8')
      .send(JSON.stringify(notification))
      .expect(200);
    assert.equal(ok.body.accepted, 1);

    const forged = { ...notification, Message: message.replace('1001', '99999') };
    const refused = await t.http
      .post('/v1/ingest/aws.cost-anomaly')
      .set(t.auth)
      .set('content-type', 'text/plain')
      .send(JSON.stringify(forged))
      .expect(403);
    assert.equal(refused.body.code, 'UNVERIFIED_PUSH');
    const elsewhere = { ...notification, SigningCertURL: 'https://attacker.example.com/cert.pem' };
    await t.http
      .post('/v1/ingest/aws.cost-anomaly')
      .set(t.auth)
      .set('content-type', 'text/plain')
      .send(JSON.stringify(elsewhere))
      .expect(403);
    const signals = (await t.http.get('/v1/signals?source=aws.cost-anomaly').set(t.auth).expect(200)).body.items;
    assert.equal(signals.length, 1);
  });

  it("answers Event Grid's validation handshake, in both schemas", async () => {
    const validation = [
      {
        id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
        topic: '/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
        subject: '',
        data: {
          validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
          validationUrl:
            'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=0000&t=2022-10-28T04:23:35.1981776Z',
        },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2022-10-28T04:23:35.1981776Z',
        metadataVersion: '1',
        dataVersion: '1',
      },
    ];
    const res = await t.http
      .post('/v1/ingest/azure.defender?key=' + ADMIN_KEY)
      .set('aeg-event-type', 'SubscriptionValidation')
      .send(validation)
      .expect(200);
    assert.deepEqual(res.body, { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    const options = await t.http.options('/v1/ingest/azure.defender').set('webhook-request-origin', 'eventgrid.azure.net').expect(200);
    assert.equal(options.headers['webhook-allowed-origin'], 'eventgrid.azure.net');
  });

  it('takes a Pub/Sub push envelope with the key in the query, and never echoes the key', async () => {
    const push = readFixtureText('gcp/scc/pubsub-push-bad-domain-inactive.json');
    const res = await t.http
      .post(`/v1/ingest/gcp.scc?key=${ADMIN_KEY}`)
      .set('authorization', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln')
      .set('content-type', 'application/json')
      .send(push)
      .expect(200);
    assert.equal(res.body.accepted, 1);
    const bad = await t.http
      .post(`/v1/ingest/gcp.scc?key=${ADMIN_KEY}`)
      .set('content-type', 'application/json')
      .send('{"message":{"data":"%%%"},"subscription":"projects/p/subscriptions/s"}')
      .expect(400);
    assert.ok(!JSON.stringify(bad.body).includes(ADMIN_KEY), 'the problem never echoes the key');
  });
});

describe('Pub/Sub push OIDC verification, when configured', () => {
  let t: TestApp;
  const { privateKey: googleKey, publicKey: googlePublic } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const audience = 'https://minewatch.example.com/v1/ingest/gcp.scc';
  before(async () => {
    t = await startTestApp({ MINEWATCH_PUBSUB_AUDIENCE: audience });
    t.app.get<PushHttp>(PUSH_HTTP).googleCerts = async () => ({ k1: googlePublic.export({ type: 'spki', format: 'pem' }).toString() });
  });
  after(async () => t.close());

  function jwt(claims: Record<string, unknown>): string {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64(claims)}`;
    const signer = createSign('RSA-SHA256');
    signer.update(unsigned);
    return `${unsigned}.${signer.sign(googleKey, 'base64url')}`;
  }

  it('accepts a push with a valid token for the audience and refuses others', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'https://accounts.google.com',
      aud: audience,
      iat: now,
      exp: now + 3600,
      email: 'pubsub-push@proj.iam.gserviceaccount.com',
      email_verified: true,
      sub: '1',
    };
    const push = readFixtureText('gcp/scc/pubsub-push-bad-domain-inactive.json');
    await t.http
      .post(`/v1/ingest/gcp.scc?key=${ADMIN_KEY}`)
      .set('authorization', `Bearer ${jwt(claims)}`)
      .set('content-type', 'application/json')
      .send(push)
      .expect(200);
    const wrongAudience = await t.http
      .post(`/v1/ingest/gcp.scc?key=${ADMIN_KEY}`)
      .set('authorization', `Bearer ${jwt({ ...claims, aud: 'https://other' })}`)
      .set('content-type', 'application/json')
      .send(push)
      .expect(403);
    assert.equal(wrongAudience.body.code, 'UNVERIFIED_PUSH');
    await t.http.post(`/v1/ingest/gcp.scc?key=${ADMIN_KEY}`).set('content-type', 'application/json').send(push).expect(403);
  });
});
