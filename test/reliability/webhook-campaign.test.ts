/**
 * The webhook fault campaigns, short: kill -9 while POSTs are in flight, three
 * times over, and graceful stops (stdin EOF, SIGTERM) with a POST in flight.
 * Against a receiver that dedupes by delivery id, no effect happens twice,
 * every repeated POST carries the first one's id, no acknowledged approval is
 * lost, and a graceful stop waits for its POST rather than leaving it to be
 * sent again. The long versions run in `npm run bench -- reliability`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { CAMPAIGN_SECRET, gracefulCampaign, killCampaign } from "./support/webhook-campaign.js";

let receiver: WebhookReceiver;
let dir: string;
beforeAll(async () => {
  receiver = await startWebhookReceiver(CAMPAIGN_SECRET);
});
afterAll(async () => receiver.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "retivo-campaign-"));
  receiver.posts.length = 0;
  receiver.effects.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("webhook deliveries under faults", () => {
  it("kill -9 with POSTs in flight, three times: 0 duplicate effects, one id per delivery, nothing acknowledged lost", async () => {
    const counts = await killCampaign(dir, receiver, { rounds: 3, perRound: 4 });
    expect(counts.approved).toBeGreaterThan(0);
    expect(counts).toMatchObject({ duplicateEffects: 0, deliveriesWithTwoIds: 0, lostAcknowledged: 0, unfinished: 0 });
    expect(counts.posts).toBeGreaterThanOrEqual(counts.approved);
  }, 90_000);

  it.each(["stdin", "sigterm"] as const)("a graceful stop (%s) with a POST in flight waits for it: no repeat, exit 0", async (how) => {
    const counts = await gracefulCampaign(dir, receiver, { rounds: 2, how });
    expect(counts.approved).toBe(2);
    expect(counts).toMatchObject({ repeatedPosts: 0, duplicateEffects: 0, deliveriesWithTwoIds: 0, lostAcknowledged: 0, unfinished: 0, wedged: 0 });
    expect(counts.slowestStopMs).toBeLessThan(12_000);
  }, 90_000);
});
