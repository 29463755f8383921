import { afterEach, describe, expect, it, vi } from "vitest";
import { loadTracking, saveTracking, userId } from "../../pages/widget/storage.ts";

/** A browser's Storage, kept in a Map the test can read. */
class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** A Storage the browser refuses (private mode, blocked cookies): every call throws. */
const refused = {
  getItem: () => {
    throw new DOMException("denied", "SecurityError");
  },
  setItem: () => {
    throw new DOMException("denied", "SecurityError");
  },
  removeItem: () => {
    throw new DOMException("denied", "SecurityError");
  },
};

const tracking = {
  confirmation: "CB-7Q2K",
  verifier: "v3r1f13r",
  statusUrl: "https://edge.test/v1/callbacks/cb_1?verifier=v3r1f13r",
  eventsUrl: "https://edge.test/v1/callbacks/cb_1/events?verifier=v3r1f13r",
};

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("userId: one id per browser", () => {
  it("makes an id once, keeps it in localStorage and gives it back after", () => {
    const local = new MemoryStorage();
    vi.stubGlobal("localStorage", local);
    vi.spyOn(crypto, "randomUUID").mockReturnValueOnce("11111111-1111-4111-8111-111111111111").mockReturnValueOnce("22222222-2222-4222-8222-222222222222");
    expect(userId()).toBe("11111111-1111-4111-8111-111111111111");
    expect(userId()).toBe("11111111-1111-4111-8111-111111111111");
    expect([...local.items]).toEqual([["callback-widget-user", "11111111-1111-4111-8111-111111111111"]]);
  });

  it("keeps one id in memory for the page when storage is refused", () => {
    vi.stubGlobal("localStorage", refused);
    vi.spyOn(crypto, "randomUUID").mockReturnValueOnce("33333333-3333-4333-8333-333333333333").mockReturnValueOnce("44444444-4444-4444-8444-444444444444");
    expect(userId()).toBe("33333333-3333-4333-8333-333333333333");
    expect(userId()).toBe("33333333-3333-4333-8333-333333333333");
  });
});

describe("saveTracking and loadTracking: the callback this tab follows", () => {
  it("keeps the four tracking fields per provider, nothing else", () => {
    const session = new MemoryStorage();
    vi.stubGlobal("sessionStorage", session);
    saveTracking("acme", { ...tracking, extra: "not kept" } as typeof tracking);
    expect(JSON.parse(session.items.get("callback-widget:acme")!)).toEqual(tracking);
    expect(loadTracking("acme")).toEqual(tracking);
    expect(loadTracking("other")).toBeNull();
  });

  it("forgets the provider's callback when given null", () => {
    const session = new MemoryStorage();
    vi.stubGlobal("sessionStorage", session);
    saveTracking("acme", tracking);
    saveTracking("globex", tracking);
    saveTracking("acme", null);
    expect(loadTracking("acme")).toBeNull();
    expect([...session.items.keys()]).toEqual(["callback-widget:globex"]);
  });

  it("reads nothing from a saved value that is not JSON or lacks its URLs", () => {
    const session = new MemoryStorage();
    vi.stubGlobal("sessionStorage", session);
    session.setItem("callback-widget:a", "{not json");
    session.setItem("callback-widget:b", JSON.stringify({ ...tracking, eventsUrl: "" }));
    session.setItem("callback-widget:c", JSON.stringify({ confirmation: "CB-1", eventsUrl: tracking.eventsUrl }));
    expect([loadTracking("a"), loadTracking("b"), loadTracking("c")]).toEqual([null, null, null]);
  });

  it("neither throws nor reads anything when storage is refused", () => {
    vi.stubGlobal("sessionStorage", refused);
    expect(() => saveTracking("acme", tracking)).not.toThrow();
    expect(() => saveTracking("acme", null)).not.toThrow();
    expect(loadTracking("acme")).toBeNull();
  });
});
