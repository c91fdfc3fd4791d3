/**
 * Property: whatever arguments arrive, every tool answers with a valid result
 * or a clear isError, the session survives, a refused call changes no
 * intervention, and the store stays intact. Through a real MCP client (with a
 * human who confirms every approval form) to a real runtime.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { TOOL_NAMES } from "../../src/config.js";
import { acceptEverything, startHarness, type Harness } from "../support/harness.js";
import { hostileArgs } from "./support/hostile.js";
import { integrityCheck, interventionsDigest, illegalRows } from "./support/store-checks.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness;
let plausible: Record<string, Record<string, fc.Arbitrary<unknown>>>;
/** Outcomes seen, so the suite proves it reached both the store and the refusals. */
const outcomes = { ok: 0, error: 0 };

beforeAll(async () => {
  h = await startHarness({ onElicit: acceptEverything });
  const ids = (status: string) =>
    dbOf(h.runtime).prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = ? LIMIT 5").pluck().all(status) as string[];
  const anyId = fc.constantFrom(...ids("planned"), ...ids("delivered"), ...ids("approved"), "int_doesnotexist000000");
  const users = dbOf(h.runtime).prepare("SELECT id FROM customers WHERE tenant_id = 'live' LIMIT 5").pluck().all() as string[];
  const playbooks = dbOf(h.runtime).prepare("SELECT id FROM playbooks WHERE tenant_id = 'live' LIMIT 5").pluck().all() as string[];
  const reason = fc.oneof(fc.constant("fuzz: looks off"), fc.string({ maxLength: 30 }));
  const channel = fc.constantFrom("email", "in_app", "webhook", "sms");
  const byId = { intervention_id: anyId };
  plausible = {
    list_interventions: {
      limit: fc.integer({ min: -5, max: 600 }),
      status: fc.constantFrom("planned", "approved", "bogus"),
      channel,
      flagged: fc.boolean(),
      user_id: fc.constantFrom(...users),
      cursor: fc.string({ maxLength: 30 }),
      detail: fc.constantFrom("compact", "full", "everything"),
    },
    get_intervention: byId,
    dry_run_intervention: { user_id: fc.constantFrom(...users, "user-nobody"), playbook_id: fc.constantFrom(...playbooks, "not-a-uuid"), channel },
    create_intervention: { user_id: fc.constantFrom(...users), playbook_id: fc.constantFrom(...playbooks), channel },
    approve_intervention: byId,
    pause_intervention: byId,
    reject_intervention: { ...byId, reason },
    flag_intervention: { ...byId, reason },
    rollback_intervention: { ...byId, reason },
  };
});

afterAll(async () => {
  await h?.close();
});

function errorText(result: CallToolResult): string {
  return (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("\n");
}

describe("every tool survives hostile arguments", () => {
  for (const tool of TOOL_NAMES) {
    it(tool, async () => {
      await fc.assert(
        fc.asyncProperty(hostileArgs(plausible[tool]!), async (args) => {
          const before = interventionsDigest(dbOf(h.runtime));
          const result = (await h.client.callTool({ name: tool, arguments: args })) as CallToolResult;
          outcomes[result.isError ? "error" : "ok"]++;
          if (result.isError) {
            const text = errorText(result);
            expect(text.trim().length, `empty error text for ${tool}`).toBeGreaterThan(10);
            expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace leaks to the agent
            expect(interventionsDigest(dbOf(h.runtime)), `${tool} changed state on error: ${text}`).toBe(before);
          } else {
            expect(result.structuredContent).toBeTypeOf("object");
          }
          // Still connected and answering.
          await expect(h.client.ping()).resolves.toBeDefined();
        }),
        { numRuns: 40, seed: 8_2026 + tool.length },
      );
    });
  }

  it("leaves the store intact and every row legal", () => {
    expect(outcomes.ok, "no hostile-argument call ever got through to the store").toBeGreaterThan(10);
    expect(outcomes.error).toBeGreaterThan(100);
    expect(integrityCheck(dbOf(h.runtime))).toBe("ok");
    expect(illegalRows(dbOf(h.runtime))).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
