/**
 * kill -9 in the middle of a burst of transitions, twice over on one
 * store: after each restart the file is intact, every row is legal, every
 * transition the server acknowledged is there with its audit row, and the
 * audit chain verifies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../../src/backend/local/audit.js";
import { integrityCheck, illegalRows, stateMachineViolations } from "./support/store-checks.js";
import { spawnServer } from "./support/spawned.js";

const dir = mkdtempSync(join(tmpdir(), "retivo-crash-"));
const dbPath = join(dir, "retivo.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Ack =
  | { kind: "pause"; id: string }
  | { kind: "reject"; id: string; reason: string }
  | { kind: "flag"; id: string; reason: string }
  | { kind: "create"; id: string };

function readOnly<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function burstAndKill(round: number): Promise<Ack[]> {
  const server = await spawnServer(dir);
  const { planned, user, playbook, channel } = readOnly((db) => {
    const pb = (db.prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active'").all() as { id: string; constraints: string }[])[0]!;
    return {
      planned: db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'planned' AND flagged = 0 ORDER BY seq").pluck().all() as string[],
      user: db.prepare("SELECT id FROM customers WHERE tenant_id = 'live' ORDER BY id LIMIT 1").pluck().get() as string,
      playbook: pb.id,
      channel: (JSON.parse(pb.constraints) as { channels: string[] }).channels[0]!,
    };
  });
  const acks: Ack[] = [];
  const calls: Promise<void>[] = [];
  const fire = (name: string, args: Record<string, unknown>, onOk: (structured: Record<string, unknown>) => Ack) =>
    calls.push(
      server.call(name, args).then(
        (result) => void (!result.isError && acks.push(onOk(result.structuredContent as Record<string, unknown>))),
        () => undefined, // cut off by the kill: not acknowledged, no claim made
      ),
    );
  // Each planned row gets exactly one kind of change, so what survived is unambiguous.
  planned.slice(0, 60).forEach((id, i) => {
    const reason = `crash round ${round} #${i}`;
    if (i % 3 === 0) fire("pause_intervention", { intervention_id: id }, () => ({ kind: "pause", id }));
    else if (i % 3 === 1) fire("reject_intervention", { intervention_id: id, reason }, () => ({ kind: "reject", id, reason }));
    else fire("flag_intervention", { intervention_id: id, reason }, () => ({ kind: "flag", id, reason }));
    if (i % 4 === 0) fire("create_intervention", { user_id: user, playbook_id: playbook, channel }, (s) => ({ kind: "create", id: s.id as string }));
  });
  // Kill once part of the burst is acknowledged and the rest is still in flight.
  const deadline = Date.now() + 10_000;
  while (acks.length < 15 + round * 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  server.kill9();
  await Promise.all(calls);
  return [...acks];
}

function checkStore(acks: Ack[]): void {
  readOnly((db) => {
    expect(integrityCheck(db)).toBe("ok");
    expect(illegalRows(db)).toEqual([]);
    expect(stateMachineViolations(db)).toEqual([]);
    expect(verifyAuditChain(db)).toMatchObject({ ok: true });
    const row = db.prepare("SELECT status, flagged, flag_reason, reject_reason FROM interventions WHERE id = ?");
    const audited = db.prepare("SELECT COUNT(*) FROM audit_log WHERE intervention_id = ? AND event = ?").pluck();
    for (const ack of acks) {
      const stored = row.get(ack.id) as { status: string; flagged: number; flag_reason: string | null; reject_reason: string | null } | undefined;
      expect(stored, `${ack.kind} ${ack.id} was acknowledged but the row is gone`).toBeDefined();
      if (ack.kind === "pause") expect(stored!.status).toBe("paused");
      if (ack.kind === "reject") expect(stored).toMatchObject({ status: "rejected", reject_reason: ack.reason });
      if (ack.kind === "flag") expect(stored).toMatchObject({ flagged: 1, flag_reason: ack.reason });
      // A created row may be picked (planned, unflagged) by a later round's burst; its existence is the claim.
      const event = { pause: "paused", reject: "rejected", flag: "flagged", create: "created" }[ack.kind];
      expect(audited.get(ack.id, event), `no audit row for acknowledged ${ack.kind} ${ack.id}`).toBe(1);
    }
  });
}

describe("crash consistency under kill -9", () => {
  it("keeps every acknowledged transition and a verifiable store across two crashes", async () => {
    const acknowledged: Ack[] = [];
    for (let round = 0; round < 2; round++) {
      const acks = await burstAndKill(round);
      expect(acks.length).toBeGreaterThan(0);
      acknowledged.push(...acks);
      // The restart itself must succeed on the file the crash left behind.
      const restarted = await spawnServer(dir);
      const listed = await restarted.call("list_interventions", { limit: 5 });
      expect(listed.isError).toBeFalsy();
      await restarted.close();
      checkStore(acknowledged);
    }
  }, 55_000);
});
