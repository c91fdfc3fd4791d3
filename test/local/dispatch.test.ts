/**
 * The dispatcher moving approved interventions out through each channel: the
 * in-app inbox, an RFC 5322 file in the outbox, and a real HTTP POST to a
 * loopback receiver that checks the signature as a customer's endpoint would.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptEverything, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

const SECRET = "whsec_test_secret_0123456789";

interface Received {
  body: Record<string, unknown>;
  signatureValid: boolean;
}

let h: Harness;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Answers the next N posts with 500, to exercise retries. */
let failNext = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac("sha256", SECRET).update(raw).digest();
      const given = Buffer.from(String(req.headers["x-retivo-signature"] ?? ""), "hex");
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
        return;
      }
      received.push({ body: JSON.parse(raw.toString()) as Record<string, unknown>, signatureValid });
      res.writeHead(signatureValid ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/retivo`;
  // Configured the way an operator does: RETIVO_WEBHOOK_URL and RETIVO_WEBHOOK_SECRET.
  h = await startHarness({
    env: { RETIVO_WEBHOOK_URL: receiverUrl, RETIVO_WEBHOOK_SECRET: SECRET },
    onElicit: acceptEverything,
    overrides: { dispatcher: { webhookRetryDelaysMs: [20, 20] } },
  });
});

afterAll(async () => {
  await h.close();
  await new Promise((resolve) => receiver.close(resolve));
});

function playbookAllowing(channel: string): string {
  const rows = dbOf(h.runtime).prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active'").all() as {
    id: string;
    constraints: string;
  }[];
  const row = rows.find((r) => (JSON.parse(r.constraints) as { channels: string[] }).channels.includes(channel));
  if (!row) throw new Error(`no playbook allows ${channel}`);
  return row.id;
}

/** A deliverable customer: not opted out, not paused. */
function reachableUser(): string {
  return (dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 1").get() as { id: string }).id;
}

async function approvedIntervention(channel: string, userId = reachableUser()): Promise<string> {
  const { id } = await h.ok<{ id: string }>("create_intervention", { user_id: userId, playbook_id: playbookAllowing(channel), channel });
  // Quality flags are irrelevant here; approve through the backend as the operator would on the REST API.
  await h.runtime.backend.approve(id, { actor: "test:operator" });
  return id;
}

describe("dispatcher", () => {
  it("delivers in-app messages to the inbox, and a rollback withdraws them", async () => {
    const id = await approvedIntervention("in_app");
    await h.runtime.dispatcher!.runOnce();
    expect(storedStatus(h.runtime, id).status).toBe("delivered");
    const inbox = dbOf(h.runtime).prepare("SELECT withdrawn_at FROM inbox WHERE intervention_id = ?").get(id) as { withdrawn_at: string | null };
    expect(inbox.withdrawn_at).toBeNull();
    expect(await h.ok("rollback_intervention", { intervention_id: id, reason: "wrong audience" })).toMatchObject({ status: "rolled_back" });
    const after = dbOf(h.runtime).prepare("SELECT withdrawn_at FROM inbox WHERE intervention_id = ?").get(id) as { withdrawn_at: string | null };
    expect(after.withdrawn_at).not.toBeNull();
  });

  it("writes emails as RFC 5322 files to the outbox", async () => {
    const id = await approvedIntervention("email");
    await h.runtime.dispatcher!.runOnce();
    const row = dbOf(h.runtime).prepare("SELECT status, sent_at, delivered_at FROM interventions WHERE id = ?").get(id) as Record<string, string>;
    expect(row).toMatchObject({ status: "delivered" });
    expect(row.sent_at).toBeTruthy();
    const file = join(h.runtime.config.outboxDir, `${id}.eml`);
    expect(existsSync(file)).toBe(true);
    const eml = readFileSync(file, "utf8");
    expect(eml).toMatch(/^From: .+\r\nTo: .+<.+@.+>\r\nSubject: .+\r\nDate: .+\r\nMessage-ID: <int_/);
    expect(eml).toContain("\r\n\r\n");
    // The seeded email policy asks for the ESP's opt-out token; the local ESP fills it in, as a real one would.
    expect(eml).not.toContain("{{unsubscribe_url}}");
    const optOut = /^List-Unsubscribe: <(mailto:unsubscribe@retivo\.local\?subject=[^>]+)>\r$/m.exec(eml)?.[1];
    expect(decodeURIComponent(optOut!)).toMatch(/subject=unsubscribe \S+ \S+$/);
    expect(eml.split("\r\n\r\n").slice(1).join("")).toContain(optOut);
  });

  it("POSTs webhooks with a valid X-Retivo-Signature, retrying server errors", async () => {
    failNext = 1;
    const before = received.length;
    const id = await approvedIntervention("webhook");
    await h.runtime.dispatcher!.runOnce();
    expect(storedStatus(h.runtime, id).status).toBe("delivered");
    const got = received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.signatureValid).toBe(true);
    expect(got[0]!.body).toMatchObject({ intervention_id: id, channel: "webhook", metadata: { lifecycle_stage: expect.any(String) } });
    const attempts = (await h.runtime.store.deliveries.of(id)).filter((d) => d.kind === "delivery");
    expect(attempts.map((a) => a.outcome)).toEqual(["pending", "retrying", "accepted"]);
  });

  it("marks a webhook failed after the last retry", async () => {
    failNext = 10;
    const id = await approvedIntervention("webhook");
    await h.runtime.dispatcher!.runOnce();
    failNext = 0;
    expect(storedStatus(h.runtime, id).status).toBe("failed");
    const outcomes = (await h.runtime.store.deliveries.of(id)).filter((d) => d.kind === "delivery")
      .map((d) => d.outcome);
    expect(outcomes).toEqual(["pending", "retrying", "retrying", "error"]);
  });

  it("holds everything while the kill switch is on, then sends", async () => {
    const id = await approvedIntervention("in_app");
    dbOf(h.runtime).prepare("UPDATE tenants SET kill_switch_active = 1 WHERE id = 'live'").run();
    await h.runtime.dispatcher!.runOnce();
    expect(storedStatus(h.runtime, id).status).toBe("approved");
    dbOf(h.runtime).prepare("UPDATE tenants SET kill_switch_active = 0 WHERE id = 'live'").run();
    await h.runtime.dispatcher!.runOnce();
    expect(storedStatus(h.runtime, id).status).toBe("delivered");
  });

  it("suppresses in shadow mode and for opted-out users", async () => {
    const shadowed = await approvedIntervention("in_app");
    dbOf(h.runtime).prepare("UPDATE tenants SET shadow_mode = 1 WHERE id = 'live'").run();
    await h.runtime.dispatcher!.runOnce();
    dbOf(h.runtime).prepare("UPDATE tenants SET shadow_mode = 0 WHERE id = 'live'").run();
    expect(storedStatus(h.runtime, shadowed).status).toBe("suppressed");

    // The user opts out between approval and dispatch: the dispatch-time gate is what stops it.
    const userId = reachableUser();
    const id = await approvedIntervention("in_app", userId);
    dbOf(h.runtime).prepare("UPDATE customers SET opted_out = 1 WHERE tenant_id = 'live' AND id = ?").run(userId);
    await h.runtime.dispatcher!.runOnce();
    dbOf(h.runtime).prepare("UPDATE customers SET opted_out = 0 WHERE tenant_id = 'live' AND id = ?").run(userId);
    expect(storedStatus(h.runtime, id).status).toBe("suppressed");
    expect((dbOf(h.runtime).prepare("SELECT suppress_reason FROM interventions WHERE id = ?").get(id) as { suppress_reason: string }).suppress_reason).toBe(
      "opted_out",
    );
  });

  it("sends a signed retraction event when a webhook intervention is rolled back", async () => {
    const id = await approvedIntervention("webhook");
    await h.runtime.dispatcher!.runOnce();
    const before = received.length;
    await h.ok("rollback_intervention", { intervention_id: id });
    await h.runtime.dispatcher!.idle();
    const retraction = received.slice(before).find((r) => r.body.event === "intervention.retracted");
    expect(retraction?.signatureValid).toBe(true);
    expect(retraction?.body.intervention_id).toBe(id);
  });
});
