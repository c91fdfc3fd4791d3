/**
 * The approval page as a human uses it, in a real browser (headless Chromium)
 * at desktop width and on a 390 px phone: each state (a clean approval, a
 * flagged one, a rollback, a wrong passphrase, an expired request, a decided
 * one) shows its verdict, subject, recipient and expiry without scrolling,
 * never scrolls sideways, passes an axe-core accessibility check with no
 * serious violations, and approving says what actually happened. A screenshot
 * of each state is kept in test-output/screenshots/.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setPassphrase } from "../../src/guard/passphrase.js";
import { chromiumPath, launchBrowser, NO_BROWSER, screenshotPath } from "../support/browser.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

const PASSPHRASE = "a phrase only the operator knows";
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let browser: Browser | undefined;
let h: Harness | undefined;
if (!chromiumPath) console.warn(NO_BROWSER);

beforeAll(async () => {
  if (chromiumPath) browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Pending {
  approval: { approval_id: string; approval_url: string };
}

/** A request the agent opened in passphrase mode: the result carries the page link. */
async function requestFor(tool: "approve_intervention" | "rollback_intervention", id: string): Promise<string> {
  const args = tool === "rollback_intervention" ? { intervention_id: id, reason: "Sent to the wrong segment" } : { intervention_id: id };
  return (await h!.ok<Pending>(tool, args)).approval.approval_url;
}

async function pageAt(url: string, viewport: keyof typeof VIEWPORTS): Promise<Page> {
  // CSP bypassed only so axe-core can be injected; the page's own script runs under its nonce either way.
  const context = await browser!.newContext({ viewport: VIEWPORTS[viewport], bypassCSP: true });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** Inside the first screen, without scrolling. */
async function aboveTheFold(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const viewport = page.viewportSize()!;
  return !!box && box.y >= 0 && box.y + box.height <= viewport.height;
}

async function noSideScroll(page: Page): Promise<void> {
  // Evaluated in the page (a string: this project's TypeScript has no DOM types).
  const { scroll, client } = (await page.evaluate("({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })")) as { scroll: number; client: number };
  expect(scroll, "the page scrolls sideways").toBeLessThanOrEqual(client);
}

async function accessible(page: Page): Promise<void> {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(
    `axe.run().then((r) => r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id + ": " + v.help))`,
  )) as string[];
  expect(violations).toEqual([]);
}

async function checkState(url: string, state: string, expectations: (page: Page) => Promise<void>): Promise<void> {
  for (const viewport of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
    const page = await pageAt(url, viewport);
    await expectations(page);
    await noSideScroll(page);
    await accessible(page);
    await page.screenshot({ path: screenshotPath(`approval-${state}-${viewport}`), fullPage: true });
    await page.context().close();
  }
}

describe.skipIf(!chromiumPath)("the approval page in Chromium", () => {
  it("shows verdict, subject, recipient and expiry first, for a clean approval, a flagged one and a rollback", async () => {
    h = await startHarness();
    await setPassphrase(h.runtime.store, PASSPHRASE);
    const clean = dbOf(h.runtime).prepare("SELECT id FROM interventions WHERE status = 'planned' AND flagged = 0 AND channel = 'email' AND subject IS NOT NULL ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    const flagged = seededId(h.runtime, "planned", "AND flagged = 1 AND flag_reason LIKE 'avoid_terms:%'");
    const delivered = dbOf(h.runtime).prepare("SELECT id FROM interventions WHERE status = 'delivered' AND channel = 'email' ORDER BY seq DESC LIMIT 1").pluck().get() as string;

    await checkState(await requestFor("approve_intervention", clean), "clean", async (page) => {
      await expect.poll(() => page.locator("[aria-label=Verdict]").innerText()).toMatch(/Every required quality check passed; not flagged/);
      expect(await page.locator("[aria-label=Verdict]").getAttribute("class")).toContain("ok");
      for (const selector of ["[aria-label=Verdict]", "dt:text-is('Subject') + dd", "dt:text-is('To') + dd", "#expiry"]) expect(await aboveTheFold(page, selector), selector).toBe(true);
      expect(await page.locator("dt:text-is('To') + dd").innerText()).toMatch(/<[^>]+@[^>]+>/);
      expect(await page.locator("#expiry").innerText()).toMatch(/^expires in \d+ min$/);
      // Model text stays inside its own box: the body's lines are never among the facts.
      expect(await page.locator("dl.facts").innerText()).not.toContain((await page.locator(".message").innerText()).split("\n")[0]);
      expect(await page.title()).toMatch(new RegExp(`^Approve ${clean}`));
    });

    await checkState(await requestFor("approve_intervention", flagged), "flagged", async (page) => {
      const verdict = page.locator("[aria-label=Verdict]");
      expect(await verdict.getAttribute("class")).toContain("danger");
      expect(await verdict.getAttribute("role")).toBe("alert");
      expect(await verdict.innerText()).toMatch(/FLAGGED: read why before approving[\s\S]*Quality check failed \(avoid_terms\): mentions 'guaranteed'/);
      expect(await verdict.innerText()).not.toMatch(/passed/);
      for (const selector of ["[aria-label=Verdict]", "dt:text-is('Subject') + dd", "dt:text-is('To') + dd", "#expiry"]) expect(await aboveTheFold(page, selector), selector).toBe(true);
    });

    await checkState(await requestFor("rollback_intervention", delivered), "rollback", async (page) => {
      expect(await page.locator("[aria-label=Verdict]").innerText()).toMatch(/an email cannot be unsent/);
      expect(await page.locator("dt:text-is('Sent') + dd").innerText()).toMatch(/\d\d:\d\d/);
      expect(await page.locator("dt:text-is('Agent\\'s reason') + dd").innerText()).toBe("Sent to the wrong segment");
      expect(await page.getByRole("button", { name: "Approve the rollback" }).getAttribute("class")).toBe("destructive");
      for (const selector of ["[aria-label=Verdict]", "dt:text-is('To') + dd", "#expiry"]) expect(await aboveTheFold(page, selector), selector).toBe(true);
    });
  });

  it("keeps what was typed after a wrong passphrase, approves with the right one, and then shows only what happened", async () => {
    h = await startHarness();
    await setPassphrase(h.runtime.store, PASSPHRASE);
    const id = seededId(h.runtime, "planned", "AND flagged = 1 AND flag_reason LIKE 'avoid_terms:%'");
    const url = await requestFor("approve_intervention", id);
    const page = await pageAt(url, "phone");
    // Enter in the passphrase field submits nothing.
    await page.getByLabel(/I have read why it is flagged/).check();
    await page.getByLabel("Operator passphrase").fill("not the right phrase");
    await page.getByLabel("Operator passphrase").press("Enter");
    await page.waitForTimeout(300);
    expect(page.url()).toBe(url);
    expect(await page.locator(".error[role=alert]:not([hidden])").count()).toBe(0);

    await page.getByLabel("Note for the audit log (optional)").fill("checked with Sam");
    await page.getByRole("button", { name: "Approve and release" }).click();
    await expect.poll(() => page.locator(".error[role=alert]").first().innerText()).toMatch(/Wrong passphrase; nothing was approved\. 4 attempts left/);
    expect(await page.getByLabel("Note for the audit log (optional)").inputValue()).toBe("checked with Sam");
    expect(await page.getByLabel(/I have read why it is flagged/).isChecked()).toBe(true);
    expect(await page.getByLabel("Operator passphrase").inputValue()).toBe("");
    await noSideScroll(page);
    await accessible(page);
    await page.screenshot({ path: screenshotPath("approval-wrong-passphrase-phone"), fullPage: true });
    expect(storedStatus(h.runtime, id).status).toBe("planned");

    await page.getByLabel("Operator passphrase").fill(PASSPHRASE);
    await page.getByRole("button", { name: "Approve and release" }).click();
    await expect.poll(() => page.locator("[role=status]").innerText()).toMatch(new RegExp(`Released: ${id} is approved \\(by human:page\\)`));
    expect(await page.title()).toBe("Released · Retivo approval");
    expect(storedStatus(h.runtime, id).status).toBe("approved");

    await checkState(url, "decided", async (decided) => {
      expect(await decided.locator("h1").innerText()).toBe("Already decided");
      expect(await decided.locator("[role=status]").innerText()).toMatch(/Released:/);
    });
    await page.context().close();
  });

  it("counts the expiry down and disables the buttons once it passed; an expired link says so", async () => {
    h = await startHarness({ env: { RETIVO_APPROVAL_TTL_SECONDS: "5" } });
    await setPassphrase(h.runtime.store, PASSPHRASE);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const url = await requestFor("approve_intervention", id);
    const page = await pageAt(url, "desktop");
    await expect.poll(() => page.locator("#expiry").innerText()).toMatch(/^expires in \d s$/);
    expect(await page.getByRole("button", { name: "Approve and release" }).isEnabled()).toBe(true);
    await expect.poll(() => page.locator("#expiry").innerText(), { timeout: 10_000 }).toMatch(/^expired/);
    expect(await page.getByRole("button", { name: "Approve and release" }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Deny" }).isDisabled()).toBe(true);
    expect(await page.locator("#expired").isVisible()).toBe(true);
    await page.screenshot({ path: screenshotPath("approval-expiring-desktop"), fullPage: true });
    await page.context().close();

    await checkState(url, "expired", async (expired) => {
      expect(await expired.locator("h1").innerText()).toBe("Expired");
      expect(await expired.locator("[role=alert]").innerText()).toMatch(/expired unanswered; nothing was released/);
    });
  });
});
