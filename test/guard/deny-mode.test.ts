/**
 * RETIVO_APPROVAL=deny: guarded tools refuse without creating any approval
 * request, so the refusal and server.json must not send the human to the
 * approvals CLI; they point outside the agent instead.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { approvalRows, events } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("RETIVO_APPROVAL=deny", () => {
  it("creates no approval request and tells the human to act outside the agent", async () => {
    h = await startHarness({ env: { RETIVO_APPROVAL: "deny" } });
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    const message = await h.fails("approve_intervention", { intervention_id: id });
    expect(message).toMatch(/no approval request was created/);
    expect(message).toMatch(/outside the agent/);
    expect(message).toMatch(/REST server \(`retivo-mcp api`\) or the Retivo dashboard/);
    expect(message).not.toMatch(/approvals approve/);
    expect(approvalRows(h.runtime, id)).toEqual([]);
    expect(dbOf(h.runtime).prepare("SELECT COUNT(*) FROM approvals").pluck().get()).toBe(0);
    expect(storedStatus(h.runtime, id)).toEqual(before);
    expect(events(h.runtime, id)).toEqual(["approval_refused"]);
  });

  it("is described the same way in server.json", () => {
    const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../server.json"), "utf8")) as {
      packages: { environmentVariables: { name: string; description: string }[] }[];
    };
    const approval = manifest.packages[0]!.environmentVariables.find((v) => v.name === "RETIVO_APPROVAL")!;
    expect(approval.description).not.toMatch(/approve with the CLI/i);
    expect(approval.description).toMatch(/deny: .*no approval request/);
    expect(approval.description).toMatch(/outside the agent/);
  });
});
