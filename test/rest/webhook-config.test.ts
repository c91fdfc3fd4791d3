/**
 * `retivo-mcp api` takes RETIVO_WEBHOOK_URL and RETIVO_WEBHOOK_SECRET as
 * `serve` does: the live data set's endpoint, never the test data set's.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support.js";

const SECRET = "whsec_rest_server_0123456789";

let receiver: Server;
let receiverUrl: string;
const received: { interventionId: string; signatureValid: boolean }[] = [];
let t: TestServer;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac("sha256", SECRET).update(raw).digest();
      const given = Buffer.from(String(req.headers["x-retivo-signature"] ?? ""), "hex");
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
      received.push({ interventionId: (JSON.parse(raw.toString()) as { intervention_id: string }).intervention_id, signatureValid });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/retivo`;
  t = await startTestServer({ RETIVO_WEBHOOK_URL: receiverUrl, RETIVO_WEBHOOK_SECRET: SECRET });
});

afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe("RETIVO_WEBHOOK_URL / RETIVO_WEBHOOK_SECRET under `api`", () => {
  it("become the live tenant's endpoint, and never the test tenant's", () => {
    const tenants = t.db.prepare("SELECT id, webhook_url, webhook_secret FROM tenants ORDER BY id").all();
    expect(tenants).toEqual([
      { id: "live", webhook_url: receiverUrl, webhook_secret: SECRET },
      { id: "test", webhook_url: null, webhook_secret: null },
    ]);
  });

  it("deliver a live webhook intervention, signed with the secret", async () => {
    const row = t.db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'approved' LIMIT 1").get() as { id: string } | undefined;
    expect(row).toBeDefined();
    // Make sure the dispatcher's gates let it out: a webhook row, due, to a reachable user.
    t.db.prepare("UPDATE tenants SET kill_switch_active = 0, shadow_mode = 0 WHERE id = 'live'").run();
    t.db.prepare("UPDATE interventions SET channel = 'webhook', planned_at = ? WHERE id = ?").run(new Date(Date.now() - 60_000).toISOString(), row!.id);
    t.db
      .prepare("UPDATE customers SET opted_out = 0, paused = 0 WHERE tenant_id = 'live' AND id = (SELECT user_id FROM interventions WHERE id = ?)")
      .run(row!.id);
    await t.server.dispatcher.runOnce();
    expect(received).toContainEqual({ interventionId: row!.id, signatureValid: true });
    const status = t.db.prepare("SELECT status FROM interventions WHERE id = ?").get(row!.id) as { status: string };
    expect(status.status).toBe("delivered");
  });
});
