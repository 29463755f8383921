/**
 * The key a client address is counted under for anonymous intake's limits. An IPv4
 * address is one client; an IPv6 client is usually given a whole /64 (and picks new
 * addresses in it at will), so it is counted by its /64. ipaddr.js parses every
 * spelling (compressed, IPv4-mapped), so one network never counts as several.
 */
import ipaddr from "ipaddr.js";

export function clientKey(address: string | null | undefined): string | null {
  if (!address) return null;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.trim());
  } catch {
    // Not an address (a local tool's header): counted as it came, bounded in length.
    return address.slice(0, 64);
  }
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).toNormalizedString().split(":").slice(0, 4);
  return `${parts.map((p) => p.padStart(4, "0")).join(":")}::/64`;
}
