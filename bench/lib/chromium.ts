/**
 * Debian's chromium, as the browser tests and the pages bench drive it with playwright-core
 * (which downloads no browser): found as .ci/run finds it (`command -v chromium`), and
 * launched with the flags a closed network needs.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export const CHROMIUM =
  (process.env.PATH ?? "")
    .split(path.delimiter)
    .map((dir) => path.join(dir, "chromium"))
    .find((file) => existsSync(file)) ?? "/usr/bin/chromium";

/** Without the background-networking flags chromium reaches for Google's services, which the closed network refuses. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Why a browser test file skips: only outside CI, on a machine with no chromium (CI, where .ci/run
 * installs it, fails instead). Null when it runs.
 */
export function browserSkipReason(file: string): string | null {
  const reason = existsSync(CHROMIUM) || process.env.CI ? null : `no browser at ${CHROMIUM} (apt-get install -y chromium)`;
  if (reason) console.warn(`${file} skipped: ${reason}`);
  return reason;
}
