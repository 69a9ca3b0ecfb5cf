import { BlockList, isIP } from "node:net";

/** Addresses no outbound fetch may reach unless an allowlist names them: loopback, private, shared, reserved. */
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["ff00::", 8], // multicast
  ["64:ff9b::", 96], // NAT64 (reaches IPv4 space)
  ["2002::", 16], // 6to4 (reaches IPv4 space)
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv6");
}

/** Link-local, where cloud metadata services answer (169.254.169.254): never reachable, allowlisted or not. */
const linkLocal = new BlockList();
linkLocal.addSubnet("169.254.0.0", 16, "ipv4");
linkLocal.addSubnet("fe80::", 10, "ipv6");

export type AddressVerdict = { blocked: false } | { blocked: true; reason: "link_local" | "private_address" | "not_an_address" };

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:127.0.0.1), else the address itself. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * Whether an outbound fetch may connect to `address`: link-local is always
 * blocked; loopback, private, carrier-grade NAT, multicast and reserved
 * ranges are blocked unless `allowed` (the registry's
 * allowPrivateAddresses) holds the address.
 */
export function isBlockedAddress(address: string, allowed?: BlockList): AddressVerdict {
  const a = unmapped(address);
  const family = isIP(a);
  if (family === 0) return { blocked: true, reason: "not_an_address" };
  const type = family === 4 ? "ipv4" : "ipv6";
  if (linkLocal.check(a, type)) return { blocked: true, reason: "link_local" };
  if (privateRanges.check(a, type) && !allowed?.check(a, type)) return { blocked: true, reason: "private_address" };
  return { blocked: false };
}

/** A BlockList (used as an allowlist) of CIDRs or single addresses: "127.0.0.1/32", "10.0.0.0/8", "::1". */
export function addressList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split("/");
    const family = isIP(net ?? "");
    if (family === 0) throw new Error(`not an address or CIDR: ${c}`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(net!, type);
    else list.addSubnet(net!, Number(bits), type);
  }
  return list;
}
