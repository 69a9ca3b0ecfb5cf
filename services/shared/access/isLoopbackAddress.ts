import { isIP } from "node:net";

/**
 * Whether an address is loopback: 127.0.0.0/8, ::1 (also written out in
 * full), IPv4-mapped 127.x, or the name `localhost`. Used both for the
 * address a service binds and for a peer's address.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, "");
  if (a === "localhost") return true;
  const v4 = a.startsWith("::ffff:") ? a.slice(7) : a;
  if (isIP(v4) === 4) return v4.split(".")[0] === "127";
  if (isIP(a) === 6) return /^(?:0{0,4}:){2,7}0{0,3}1$/.test(a) || a === "::1";
  return false;
}
