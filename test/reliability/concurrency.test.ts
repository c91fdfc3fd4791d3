/**
 * Many clients race approve, pause, reject and rollback on the same few
 * interventions: five MCP sessions on one runtime plus a second server
 * process on the same SQLite file (whose dispatcher also moves approved rows
 * on). Humans confirm every approval form. Afterwards no intervention was
 * approved or rolled back twice from one state, and every audited move is one
 * the status machine (or the dispatcher) allows, starting where the last one
 * ended.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { verifyAuditChain } from "../../src/store/ops/audit.js";
import { txOver } from "../support/sqlite.js";
import { acceptEverything, startHarness, type Harness } from "../support/harness.js";
import { auditedMoves, integrityCheck, illegalRows, stateMachineViolations } from "./support/store-checks.js";
import { spawnServer, type Spawned } from "./support/spawned.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness;
let other: Spawned;

beforeAll(async () => {
  h = await startHarness({ onElicit: acceptEverything });
  other = await spawnServer(h.dir, { confirmApprovals: true, name: "other-process" });
});

afterAll(async () => {
  await other?.close();
  await h?.close();
});

type Caller = (name: string, args: Record<string, unknown>) => Promise<unknown>;

const ACTIONS = [
  ["approve_intervention", {}],
  ["pause_intervention", {}],
  ["reject_intervention", { reason: "race: not needed" }],
  ["rollback_intervention", { reason: "race: sent by mistake" }],
] as const;

describe("racing transitions", () => {
  it("never double-approves, never double-rolls-back, never skips the state machine", async () => {
    const db = dbOf(h.runtime);
    const pick = (status: string, n: number) =>
      db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = ? AND flagged = 0 ORDER BY seq DESC LIMIT ?").pluck().all(status, n) as string[];
    const targets = [...pick("planned", 6), ...pick("paused", 2), ...pick("delivered", 4), ...pick("sent", 2)];
    expect(targets.length).toBeGreaterThanOrEqual(8);

    const sessions: Client[] = [h.client];
    for (let i = 0; i < 4; i++) sessions.push(await h.connectAnother({ onElicit: acceptEverything, clientName: `racer-${i}` }));
    const callers: Caller[] = [
      ...sessions.map((client): Caller => (name, args) => client.callTool({ name, arguments: args })),
      (name, args) => other.call(name, args),
    ];

    // Every caller fires every action at every target at once, in a different order each.
    const calls: Promise<unknown>[] = [];
    callers.forEach((call, c) => {
      for (let t = 0; t < targets.length; t++) {
        for (let a = 0; a < ACTIONS.length; a++) {
          const [name, extra] = ACTIONS[(a + c + t) % ACTIONS.length]!;
          calls.push(call(name, { intervention_id: targets[(t + c) % targets.length], ...extra }).catch((e: Error) => e));
        }
      }
    });
    const outcomes = await Promise.all(calls);
    const crashed = outcomes.filter((o) => o instanceof Error);
    expect(crashed, "a call failed at the protocol level instead of returning a result").toEqual([]);

    expect(integrityCheck(db)).toBe("ok");
    expect(illegalRows(db)).toEqual([]);
    expect(stateMachineViolations(db)).toEqual([]);
    expect(await verifyAuditChain(txOver(db))).toMatchObject({ ok: true });

    for (const id of targets) {
      const moves = auditedMoves(db).filter((m) => m.intervention_id === id);
      const rollbacks = moves.filter((m) => m.to === "rolled_back");
      expect(rollbacks.length, `${id} rolled back ${rollbacks.length} times`).toBeLessThanOrEqual(1);
      // Re-approval is legal only after the intervention left 'approved' again (a pause).
      const approvals = moves.filter((m) => m.to === "approved");
      const pauses = moves.filter((m) => m.from === "approved" && m.to === "paused");
      expect(approvals.length, `${id} approved ${approvals.length} times with ${pauses.length} pauses`).toBeLessThanOrEqual(pauses.length + 1);
    }
    // The race really raced: something was refused, something moved.
    expect(auditedMoves(db).filter((m) => targets.includes(m.intervention_id)).length).toBeGreaterThan(targets.length);
  }, 55_000);
});
