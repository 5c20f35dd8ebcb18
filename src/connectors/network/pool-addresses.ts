/**
 * Known mining-pool addresses, for the flow-log parsers' "remote address is a pool" test.
 *
 * The built-in list is empty on purpose. Pools sit behind DNS round-robin, anycast and rented
 * hosting whose addresses change hands within weeks; the public IP blocklists that exist
 * (CoinBlockerLists' MiningServerIPList and the like) are years stale, and a stale address now
 * belongs to some other tenant, so matching on it would report ordinary traffic as mining. Pool
 * *domains* (taxonomy.ts) and stratum *ports* are the stable indicators and do the filtering by
 * default. A deployment that has a current feed (threat intelligence, or the `answers` of the
 * Route 53 Resolver signals MineWatch already stores) builds a list and passes it to the parser
 * factories in `network/index.ts`.
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Parses an address, reading an IPv4-mapped IPv6 address (`::ffff:198.51.100.7`) as the IPv4 address it carries. */
export function parseAddress(literal: string): Address | null {
  let address: Address;
  try {
    address = ipaddr.parse(literal.trim());
  } catch {
    return null;
  }
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) address = address.toIPv4Address();
  return address;
}

/** A set of addresses and CIDR ranges (`198.51.100.7`, `203.0.113.0/24`, `2001:db8::/32`). */
export class PoolAddressList {
  private readonly exact = new Set<string>();
  private readonly ranges: Array<[Address, number]> = [];

  /** Throws a plain Error naming the entry that is neither an address nor a CIDR range: the list is configuration, not a request. */
  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      if (entry.includes('/')) {
        try {
          this.ranges.push(ipaddr.parseCIDR(entry.trim()));
        } catch {
          throw new Error(`pool address list: ${JSON.stringify(entry)} is not a CIDR range`);
        }
        continue;
      }
      const address = parseAddress(entry);
      if (!address) throw new Error(`pool address list: ${JSON.stringify(entry)} is not an IP address`);
      this.exact.add(address.toNormalizedString());
    }
  }

  get size(): number {
    return this.exact.size + this.ranges.length;
  }

  has(literal: string | null): boolean {
    if (literal === null || this.size === 0) return false;
    const address = parseAddress(literal);
    if (!address) return false;
    if (this.exact.has(address.toNormalizedString())) return true;
    return this.ranges.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
  }
}

/** The addresses the default parsers treat as pools: none (see the module comment). */
export const KNOWN_POOL_ADDRESSES: readonly string[] = [];

export const knownPoolAddresses = new PoolAddressList(KNOWN_POOL_ADDRESSES);
