import { describe, expect, it } from "vitest";
import { clientKey } from "../../objects/shared/client-address.ts";

describe("a client address, as intake's limits count it", () => {
  it("counts an IPv6 client by its /64, however the address is spelled", () => {
    const a = clientKey("2001:db8:abcd:12:1::7");
    expect(a).toBe("2001:0db8:abcd:0012::/64");
    // Another address in the same /64 (a client picks them at will): the same key.
    expect(clientKey("2001:0db8:abcd:0012:ffff:ffff:ffff:fffe")).toBe(a);
    expect(clientKey("2001:db8:abcd:13::1")).not.toBe(a);
  });

  it("counts an IPv4 client (also IPv4-mapped IPv6) by its address", () => {
    expect(clientKey("203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("203.0.113.10")).not.toBe("203.0.113.9");
  });

  it("keeps what is not an address as it came, bounded; none is none", () => {
    expect(clientKey("local-tool")).toBe("local-tool");
    expect(clientKey("x".repeat(100))).toHaveLength(64);
    expect(clientKey(null)).toBeNull();
    expect(clientKey("")).toBeNull();
  });
});
