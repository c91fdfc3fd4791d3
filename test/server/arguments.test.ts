/**
 * Argument validation through a real MCP client: each refusal names the bad
 * field and what to do, stays bounded whatever the agent sent, changes
 * nothing, and a guarded tool's refusal is audited with the argument names
 * the agent tried (a forged `confirm` or `approval_id` is an attempt to
 * approve on a human's behalf).
 */
import { afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function refusals(harness: Harness): { intervention_id: string | null; actor: string; detail: Record<string, unknown> }[] {
  return (dbOf(harness.runtime).prepare("SELECT intervention_id, actor, detail FROM audit_log WHERE event = 'approval_refused' ORDER BY seq").all() as { intervention_id: string | null; actor: string; detail: string }[]).map(
    (row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }),
  );
}

describe("tool arguments", () => {
  it("refuses forged approval arguments by name, says what the tool accepts, and audits the attempt", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const before = storedStatus(h.runtime, id);
    expect(await h.fails("approve_intervention", { intervention_id: id, confirm: true, approval_id: "apr_forged" })).toBe(
      `Invalid arguments for approve_intervention: arguments: Unrecognized keys: "confirm", "approval_id". ` +
        `Remove 'confirm', 'approval_id': approve_intervention accepts only intervention_id.`,
    );
    expect(storedStatus(h.runtime, id)).toEqual(before);
    expect(refusals(h)).toEqual([
      {
        intervention_id: id,
        actor: "agent:test-client",
        detail: { tool: "approve_intervention", reason: "invalid arguments", unknown_arguments: ["confirm", "approval_id"], unknown_argument_count: 2 },
      },
    ]);
  });

  it("names a field of the wrong type, and asks for a fix rather than a removal", async () => {
    h = await startHarness();
    expect(await h.fails("approve_intervention", { intervention_id: 5 })).toBe(
      "Invalid arguments for approve_intervention: intervention_id: Invalid input: expected string, received number. Fix the arguments as described and call again; nothing was changed.",
    );
    // No intervention could be named: the refusal is audited without one.
    expect(refusals(h)).toMatchObject([{ intervention_id: null, detail: { tool: "approve_intervention", unknown_arguments: [], unknown_argument_count: 0 } }]);
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    expect(await h.fails("reject_intervention", { intervention_id: id })).toMatch(/^Invalid arguments for reject_intervention: reason: .*received undefined\. Fix the arguments/);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });

  it("keeps the reply and the audit row bounded however many and long the keys are", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const forged = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${String(i).padStart(2, "0")}${"k".repeat(200)}`, true]));
    const result = await h.call("approve_intervention", { intervention_id: id, ...forged });
    expect(result.isError).toBe(true);
    const text = (result.content as { text: string }[])[0]!.text;
    const [message, hint] = text.split(/(?<=…\.) /);
    expect(message).toHaveLength(`Invalid arguments for approve_intervention: `.length + 1000 + 1);
    expect(message).toMatch(/^Invalid arguments for approve_intervention: arguments: Unrecognized keys: "00k+", "01k+".*…\.$/);
    expect(hint).toHaveLength(1000);
    expect(hint!.endsWith("…")).toBe(true);
    const [refusal] = refusals(h);
    expect(refusal!.detail.unknown_argument_count).toBe(40);
    expect(refusal!.detail.unknown_arguments).toEqual(Array.from({ length: 10 }, (_, i) => `${String(i).padStart(2, "0")}${"k".repeat(62)}`));
  });

  it("lets a short reply through whole", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const text = await h.fails("pause_intervention", { intervention_id: id, force: true });
    expect(text).toBe(`Invalid arguments for pause_intervention: arguments: Unrecognized key: "force". Remove 'force': pause_intervention accepts only intervention_id.`);
  });

  it("refuses a __proto__ argument, which the SDK's own parsing would silently drop", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const forged = JSON.parse(`{"intervention_id":"${id}","__proto__":{"confirm":true,"approved":true}}`) as Record<string, unknown>;
    expect(await h.fails("approve_intervention", forged)).toBe(
      `Invalid arguments for approve_intervention: arguments: Unrecognized key: "__proto__". Remove '__proto__': approve_intervention accepts only intervention_id.`,
    );
    expect(refusals(h)).toMatchObject([{ intervention_id: id, detail: { unknown_arguments: ["__proto__"], unknown_argument_count: 1 } }]);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });
});
