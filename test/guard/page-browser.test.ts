/**
 * The approval page as a human uses it, in a real browser: headless Chromium
 * opens the link a URL-capable client was given, shows the message, its
 * checks and the flag, takes the operator passphrase, refuses a wrong one,
 * approves, and says what actually happened. A screenshot of each state is
 * kept in test-output/screenshots/.
 */
import type { ElicitRequestURLParams } from "@modelcontextprotocol/sdk/types.js";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setPassphrase } from "../../src/guard/passphrase.js";
import { chromiumPath, launchBrowser, NO_BROWSER, screenshotPath } from "../support/browser.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";

const PASSPHRASE = "a phrase only the operator knows";
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

describe.skipIf(!chromiumPath)("the approval page in Chromium", () => {
  it("shows the flagged message and its checks, refuses a wrong passphrase, approves with the right one and says it was released", async () => {
    const links: string[] = [];
    h = await startHarness({
      capabilities: { elicitation: { url: {} } },
      onElicit: (request) => {
        links.push((request.params as ElicitRequestURLParams).url);
        return { action: "accept" };
      },
    });
    await setPassphrase(h.runtime.db, PASSPHRASE);
    const id = seededId(h.runtime, "planned", "AND flagged = 1 AND flag_reason LIKE 'avoid_terms:%'");
    const call = h.client.callTool({ name: "approve_intervention", arguments: { intervention_id: id } });
    await expect.poll(() => links.length).toBe(1);

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(links[0]!);
    const body = page.locator("body");
    await expect.poll(() => body.innerText()).toContain(`APPROVE intervention ${id}`);
    const text = await body.innerText();
    expect(text).toMatch(/FLAGGED: avoid_terms/);
    expect(text).toMatch(/Quality checks: FAILED/);
    expect(text).toContain("Message body (written by an AI model");
    await page.screenshot({ path: screenshotPath("approval-page-flagged"), fullPage: true });

    // A wrong passphrase: refused, nothing changes.
    await page.getByLabel(/I have read the flag/).check();
    await page.getByLabel(/Operator passphrase/).fill("not the right phrase");
    await page.getByRole("button", { name: /Approve and release/ }).click();
    await expect.poll(() => body.innerText()).toMatch(/Wrong passphrase; nothing was approved\. 4 attempts left/);
    await page.screenshot({ path: screenshotPath("approval-page-wrong-passphrase"), fullPage: true });
    expect(storedStatus(h.runtime, id).status).toBe("planned");

    // Back to the same link (still valid), the right passphrase: released at once.
    await page.goto(links[0]!);
    await page.getByLabel(/I have read the flag/).check();
    await page.getByLabel(/Operator passphrase/).fill(PASSPHRASE);
    await page.getByRole("button", { name: /Approve and release/ }).click();
    await expect.poll(() => body.innerText()).toMatch(new RegExp(`Released: ${id} is approved \\(by human:page\\)`));
    await page.screenshot({ path: screenshotPath("approval-page-released"), fullPage: true });
    expect(storedStatus(h.runtime, id).status).toBe("approved");
    expect((await call).structuredContent).toEqual({ id, status: "approved" });

    // The link now shows only what happened.
    await page.goto(links[0]!);
    expect(await body.innerText()).toMatch(/Already decided[\s\S]*Released:/);
    await page.screenshot({ path: screenshotPath("approval-page-decided"), fullPage: true });
    await page.close();
  });
});
