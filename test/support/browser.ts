/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core) for
 * tests of pages a human uses. `.ci/run` installs the package where it is
 * missing; elsewhere the browser tests skip with one line saying how to run
 * them. Screenshots go to test-output/screenshots/, kept with the test output.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";

const CANDIDATES = [process.env.RETIVO_TEST_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export const chromiumPath = CANDIDATES.find((path): path is string => !!path && existsSync(path));
export const NO_BROWSER = "no Chromium found (install Debian's `chromium`, or set RETIVO_TEST_CHROMIUM): skipping the browser tests";

// CI (.ci/run) installs Chromium and insists: there, a missing browser fails instead of skipping.
if (!chromiumPath && process.env.RETIVO_TEST_REQUIRE_BROWSER === "1") throw new Error(`RETIVO_TEST_REQUIRE_BROWSER=1 but ${NO_BROWSER}`);

export const SCREENSHOTS = resolve(import.meta.dirname, "../../test-output/screenshots");

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error(NO_BROWSER);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath,
    // As root in a sandboxed machine with no network: no sandbox, nothing phoning home.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function screenshotPath(name: string): string {
  return join(SCREENSHOTS, `${name}.png`);
}
