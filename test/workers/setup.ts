import { reset } from "cloudflare:test";
import { beforeEach } from "vitest";

// Every test starts from empty storage, no alarms and fresh object instances.
beforeEach(async () => {
  await reset();
});
