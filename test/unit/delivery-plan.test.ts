import { describe, expect, it } from "vitest";
import { dueNow, MAX_ATTEMPTS, nextDueAt, retryAt, RETRY_DELAYS_MS, type PendingDelivery } from "../../objects/webhooks/delivery-plan.ts";

const d = (callbackId: string, seq: number, nextAtMs: number, subscriptionId = "sub_a"): PendingDelivery => ({ messageId: `msg_${callbackId}_${seq}_${subscriptionId}`, subscriptionId, callbackId, seq, nextAtMs });

describe("webhook delivery decisions", () => {
  it("retries with growing waits, then gives up after the last", () => {
    expect(retryAt(1, 1_000)).toBe(6_000);
    expect(retryAt(2, 1_000)).toBe(31_000);
    expect(retryAt(MAX_ATTEMPTS - 1, 0)).toBe(RETRY_DELAYS_MS.at(-1));
    expect(retryAt(MAX_ATTEMPTS, 0)).toBeNull();
    // A receiver down for a minute is reached again within the third attempt's wait.
    expect(RETRY_DELAYS_MS[0] + RETRY_DELAYS_MS[1] + RETRY_DELAYS_MS[2]).toBeGreaterThan(60_000);
    for (let i = 1; i < RETRY_DELAYS_MS.length; i++) expect(RETRY_DELAYS_MS[i]).toBeGreaterThan(RETRY_DELAYS_MS[i - 1]);
  });

  it("sends a callback's events in order: a later one waits for the earlier, even when due first", () => {
    const pending = [d("cb1", 2, 0), d("cb1", 1, 50_000)];
    expect(dueNow(pending, 10_000, 10)).toEqual([]);
    expect(dueNow(pending, 50_000, 10).map((x) => x.seq)).toEqual([1]);
    expect(nextDueAt(pending)).toBe(50_000);
  });

  it("does not hold one callback's events behind another's, nor one subscription's behind another's", () => {
    const pending = [d("cb1", 1, 40_000), d("cb2", 1, 0), d("cb1", 1, 0, "sub_b"), d("cb2", 2, 0)];
    expect(dueNow(pending, 1_000, 10).map((x) => x.messageId)).toEqual(["msg_cb2_1_sub_a", "msg_cb1_1_sub_b"]);
    expect(dueNow(pending, 1_000, 1)).toHaveLength(1);
    expect(nextDueAt([])).toBeNull();
  });
});
