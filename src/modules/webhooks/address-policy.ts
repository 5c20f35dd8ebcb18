import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// Only global unicast IPv6 (2000::/3) is reachable by default: the rest is loopback, link-local,
// unique-local (fd00:ec2::254 is AWS's metadata service), multicast, or a translation range
// (6to4, NAT64, Teredo, IPv4-compatible) that can lead back into a private IPv4 network.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Why an address may not be reached: a connect-time refusal, never retried into success. */
export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
  constructor(
    readonly address: string,
    readonly range: string,
    readonly host?: string,
  ) {
    super(
      `${host && host !== address ? `${host} resolves to ${address}` : address}, a ${range} address; ` +
        'webhooks reach private, loopback, link-local and metadata addresses only inside MINEWATCH_WEBHOOK_ALLOWED_CIDRS',
    );
    this.name = 'AddressNotAllowedError';
  }
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Which addresses a webhook may connect to: global unicast only, unless an operator listed the
 * range in MINEWATCH_WEBHOOK_ALLOWED_CIDRS. Address math is ipaddr.js's, not ours.
 */
export class AddressPolicy {
  private readonly allowed: Array<[Address, number]>;

  constructor(allowedCidrs: readonly string[]) {
    this.allowed = allowedCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Null when the address may be reached; otherwise the name of the range that forbids it. */
  refusal(literal: string): string | null {
    let address: Address;
    try {
      address = ipaddr.parse(stripBrackets(literal));
    } catch {
      return 'unparseable';
    }
    // ::ffff:127.0.0.1 is 127.0.0.1 on the wire: judge it as the IPv4 address it carries.
    if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) address = address.toIPv4Address();
    if (this.allowed.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits))) return null;
    const range = address.range();
    if (range !== 'unicast') return range;
    if (address instanceof ipaddr.IPv6 && !address.match(GLOBAL_UNICAST_V6)) return 'reserved';
    return null;
  }

  /** Throws AddressNotAllowedError unless every address may be reached. */
  assertAll(addresses: readonly string[], host?: string): void {
    for (const address of addresses) {
      const range = this.refusal(address);
      if (range) throw new AddressNotAllowedError(address, range, host);
    }
  }
}

/** Resolves a host name to every address the system resolver knows (hosts file, DNS). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect / tls.connect that resolves the name itself and refuses the connection
 * if ANY address is outside the policy. The socket then connects to an address checked in this very
 * lookup, so a DNS answer that changes between subscription and delivery (rebinding) cannot slip in.
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (all) => {
        try {
          if (all.length === 0) throw Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' });
          policy.assertAll(
            all.map((a) => a.address),
            hostname,
          );
        } catch (error) {
          callback(error as NodeJS.ErrnoException, '');
          return;
        }
        const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const usable = wanted.length > 0 ? wanted : all;
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * Checks a receiver URL when it is subscribed: scheme, no credentials in it, and its host (a
 * literal address, or a name's current addresses) inside the policy. Returns the problem, or null.
 * A name that does not resolve yet is accepted: delivery checks again at every connect.
 */
export async function urlProblem(raw: string, policy: AddressPolicy, resolve: Resolver = systemResolver): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  // The URL is shown in API responses and the delivery log: it must not carry a password.
  if (url.username || url.password) return 'must not contain credentials; authenticate receivers with the signature';
  const host = stripBrackets(url.hostname);
  if (!host) return 'must name a host';
  if (isIP(host)) {
    const range = policy.refusal(host);
    return range ? new AddressNotAllowedError(host, range).message : null;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    return null;
  }
  try {
    policy.assertAll(
      addresses.map((a) => a.address),
      host,
    );
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
