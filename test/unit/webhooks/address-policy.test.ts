import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy, guardedLookup, type Resolver, systemResolver, urlProblem } from '#src/modules/webhooks/address-policy.js';
import { WebhookSender } from '#src/modules/webhooks/webhook-sender.js';

/** Addresses a webhook must never reach by default (SSRF corpus). */
const FORBIDDEN = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['169.254.169.254', 'linkLocal'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:10.1.2.3', 'private'],
  ['fe80::1', 'linkLocal'],
  ['fd00:ec2::254', 'uniqueLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['ff02::1', 'multicast'],
  ['64:ff9b::7f00:1', 'rfc6052'],
  ['2002:7f00:1::', '6to4'],
  ['::7f00:1', 'reserved'],
] as const;

const PUBLIC = ['8.8.8.8', '1.1.1.1', '52.95.110.1', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e'];

/** A resolver for names the test makes up; other names (localhost) go to the machine's resolver. */
function fakeDns(table: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) return systemResolver(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('webhook address policy (SSRF)', () => {
  const strict = new AddressPolicy([]);

  it('refuses every loopback, private, link-local, metadata and reserved address by default', () => {
    for (const [address, range] of FORBIDDEN) assert.equal(strict.refusal(address), range, address);
  });

  it('lets public unicast addresses through', () => {
    for (const address of PUBLIC) assert.equal(strict.refusal(address), null, address);
  });

  it('allows exactly the ranges listed in MINEWATCH_WEBHOOK_ALLOWED_CIDRS, IPv4-mapped forms included', () => {
    const local = new AddressPolicy(['127.0.0.0/8', 'fd00::/8']);
    assert.equal(local.refusal('127.0.0.1'), null);
    assert.equal(local.refusal('::ffff:127.0.0.1'), null);
    assert.equal(local.refusal('fd00:ec2::254'), null);
    assert.equal(local.refusal('10.0.0.1'), 'private');
    assert.equal(local.refusal('169.254.169.254'), 'linkLocal');
    assert.equal(local.refusal('::1'), 'loopback');
  });

  it('refuses subscription URLs that name a forbidden address however it is spelled', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['93.184.215.14'] });
    const refused = [
      'http://127.0.0.1/hook',
      'http://0x7f000001/hook',
      'http://2130706433/hook',
      'http://0177.0.0.1/hook',
      'http://127.1/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:7f00:1]/hook',
      'http://[::1]:8080/hook',
      'http://0.0.0.0/hook',
      'http://[::]/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://10.0.0.5/hook',
      'http://192.168.0.10/hook',
      'http://100.100.100.200/latest/meta-data/',
    ];
    for (const url of refused) {
      const problem = await urlProblem(url, strict, dns);
      assert.ok(problem && /MINEWATCH_WEBHOOK_ALLOWED_CIDRS/.test(problem), `${url} refused: ${problem}`);
    }
    assert.equal(await urlProblem('https://hooks.example.com/minewatch', strict, dns), null);
  });

  it('refuses names that resolve to a forbidden address, localhost included, checking every answer', async () => {
    const dns = fakeDns({ 'internal.example.com': ['10.0.0.5'], 'mixed.example.com': ['93.184.215.14', '169.254.169.254'] });
    assert.match((await urlProblem('https://internal.example.com/x', strict, dns))!, /internal\.example\.com resolves to 10\.0\.0\.5/);
    assert.match((await urlProblem('https://mixed.example.com/x', strict, dns))!, /169\.254\.169\.254/);
    // The machine's own resolver: localhost is loopback wherever this runs.
    assert.match((await urlProblem('http://localhost:9999/x', strict))!, /localhost resolves to/);
  });

  it('checks the URL itself: scheme, credentials', async () => {
    assert.match((await urlProblem('ftp://example.com/x', strict))!, /http/);
    assert.match((await urlProblem('not a url', strict))!, /absolute/);
    assert.match((await urlProblem('https://user:pw@example.com/x', strict))!, /credentials/);
    assert.equal(await urlProblem('http://127.0.0.1:8080/x', new AddressPolicy(['127.0.0.0/8'])), null);
  });

  it('refuses at connect time when a name resolves differently than at subscription (DNS rebinding)', async () => {
    let answer = '93.184.215.14';
    const dns: Resolver = async () => [{ address: answer, family: 4 }];
    assert.equal(await urlProblem('https://rebind.example.com/', strict, dns), null);
    answer = '169.254.169.254';
    const lookup = guardedLookup(strict, dns);
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('rebind.example.com', { all: true }, (err) => resolve(err)),
    );
    assert.equal(error?.code, 'EADDRNOTALLOWED');
  });
});

describe('webhook sender against real sockets', () => {
  let target: Server;
  let redirector: Server;
  let hits = 0;
  let redirectHits = 0;
  let port = 0;
  let redirectPort = 0;

  before(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.writeHead(200).end('internal page: do not leak');
    });
    redirector = createServer((req, res) => {
      redirectHits++;
      const location =
        req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/iam/' : `http://127.0.0.1:${port}/after-redirect`;
      res.writeHead(302, { location }).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    port = (target.address() as AddressInfo).port;
    redirectPort = (redirector.address() as AddressInfo).port;
  });
  after(async () => {
    target.close();
    redirector.close();
  });

  it('never opens a connection to a forbidden address, literal or resolved, IPv4-mapped or not', async () => {
    const dns = fakeDns({ 'rebound.example.com': ['127.0.0.1'], 'half.example.com': ['93.184.215.14', '127.0.0.1'] });
    const sender = new WebhookSender(new AddressPolicy([]), 2000, dns);
    try {
      const before = hits;
      for (const url of [
        `http://127.0.0.1:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://rebound.example.com:${port}/`,
        `http://half.example.com:${port}/`,
        `http://localhost:${port}/`,
        `http://0.0.0.0:${port}/`,
      ]) {
        const r = await sender.post(url, '{}', {});
        assert.equal(r.outcome, 'refused', `${url}: ${r.error}`);
        assert.match(r.error!, /MINEWATCH_WEBHOOK_ALLOWED_CIDRS/);
      }
      assert.equal(hits, before, 'the target never saw a request');
    } finally {
      await sender.close();
    }
  });

  it('reaches the same receiver once its range is allowed, and never echoes its body', async () => {
    const dns = fakeDns({ 'rebound.example.com': ['127.0.0.1'] });
    const sender = new WebhookSender(new AddressPolicy(['127.0.0.0/8']), 2000, dns);
    try {
      for (const url of [`http://127.0.0.1:${port}/`, `http://rebound.example.com:${port}/`]) {
        const r = await sender.post(url, '{}', {});
        assert.equal(r.outcome, 'succeeded');
        assert.equal(r.statusCode, 200);
        assert.ok(!JSON.stringify(r).includes('internal page'));
      }
    } finally {
      await sender.close();
    }
  });

  it('does not follow a redirect, even to an allowed address', async () => {
    const sender = new WebhookSender(new AddressPolicy(['127.0.0.0/8']), 2000);
    try {
      const before = hits;
      for (const path of ['/', '/to-metadata']) {
        const r = await sender.post(`http://127.0.0.1:${redirectPort}${path}`, '{}', {});
        assert.equal(r.outcome, 'redirect');
        assert.equal(r.statusCode, 302);
      }
      assert.equal(redirectHits, 2);
      assert.equal(hits, before, 'the redirect target was never called');
    } finally {
      await sender.close();
    }
  });
});
