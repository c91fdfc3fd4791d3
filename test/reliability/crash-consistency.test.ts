/**
 * kill -9 in the middle of a burst of transitions, three times over on one
 * store: after each restart the file is intact, every row is legal, every
 * transition the server acknowledged is there with its audit row, and the
 * audit chain verifies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../../src/store/ops/audit.js";
import { txOver } from "../support/sqlite.js";
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

async function readOnly<T>(fn: (db: Database.Database) => Promise<T> | T): Promise<T> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

async function burstAndKill(round: number): Promise<Ack[]> {
  const server = await spawnServer(dir);
  const { planned, user, playbook, channel } = await readOnly((db) => {
    const pb = (db.prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = 'live' AND status = 'active'").all() as { id: string; constraints: string }[])[0]!;
    return {
      planned: db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'planned' AND flagged = 0 ORDER BY seq").pluck().all() as string[],
      user: db.prepare("SELECT id FROM customers WHERE tenant_id = 'live' ORDER BY id LIMIT 1").pluck().get() as string,
      playbook: pb.id,
      channel: (JSON.parse(pb.constraints) as { channels: string[] }).channels[0]!,
    };
  });
  const acks: Ack[] = [];
  const burst: (() => Promise<void>)[] = [];
  let killed = false;
  // Queues one call; its acknowledgement is recorded only from a successful result.
  const fire = (name: string, args: Record<string, unknown>, onOk: (structured: Record<string, unknown>) => Ack) =>
    burst.push(() =>
      server.call(name, args).then(
        (result) => {
          if (result.isError || killed) return;
          acks.push(onOk(result.structuredContent as Record<string, unknown>));
        },
        () => undefined, // cut off by the kill: not acknowledged, no claim made
      ),
    );
  // Each planned row gets exactly one kind of change, so what survived is unambiguous;
  // creates need no target and keep the burst long whatever the seed holds.
  const targets = planned.slice(0, 60);
  for (let i = 0; i < Math.max(targets.length, 60); i++) {
    const id = targets[i];
    const reason = `crash round ${round} #${i}`;
    if (id !== undefined && i % 3 === 0) fire("pause_intervention", { intervention_id: id }, () => ({ kind: "pause", id }));
    else if (id !== undefined && i % 3 === 1) fire("reject_intervention", { intervention_id: id, reason }, () => ({ kind: "reject", id, reason }));
    else if (id !== undefined) fire("flag_intervention", { intervention_id: id, reason }, () => ({ kind: "flag", id, reason }));
    fire("create_intervention", { user_id: user, playbook_id: playbook, channel }, (s) => ({ kind: "create", id: s.id as string }));
  }
  // Eight calls in flight at all times; the kill lands from inside the acknowledgement
  // that crosses 40 % of the burst, so calls are in flight and more were never sent.
  const killAt = Math.ceil(burst.length * 0.4);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (!killed && next < burst.length) {
      await burst[next++]!();
      if (!killed && acks.length >= killAt) {
        killed = true;
        server.kill9();
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  server.kill9();
  expect(acks.length).toBeGreaterThan(0);
  expect(next, "the kill came after the whole burst was sent").toBeLessThan(burst.length);
  return [...acks];
}

async function checkStore(acks: Ack[]): Promise<void> {
  await readOnly(async (db) => {
    expect(integrityCheck(db)).toBe("ok");
    expect(illegalRows(db)).toEqual([]);
    expect(stateMachineViolations(db)).toEqual([]);
    expect(await verifyAuditChain(txOver(db))).toMatchObject({ ok: true });
    const row = db.prepare("SELECT status, flagged, review_flag_reason, reject_reason FROM interventions WHERE id = ?");
    const audited = db.prepare("SELECT COUNT(*) FROM audit_log WHERE intervention_id = ? AND event = ?").pluck();
    for (const ack of acks) {
      const stored = row.get(ack.id) as { status: string; flagged: number; review_flag_reason: string | null; reject_reason: string | null } | undefined;
      expect(stored, `${ack.kind} ${ack.id} was acknowledged but the row is gone`).toBeDefined();
      if (ack.kind === "pause") expect(stored!.status).toBe("paused");
      if (ack.kind === "reject") expect(stored).toMatchObject({ status: "rejected", reject_reason: ack.reason });
      if (ack.kind === "flag") expect(stored).toMatchObject({ flagged: 1, review_flag_reason: ack.reason });
      // A created row may be picked (planned, unflagged) by a later round's burst; its existence is the claim.
      const event = { pause: "paused", reject: "rejected", flag: "flagged", create: "created" }[ack.kind];
      expect(audited.get(ack.id, event), `no audit row for acknowledged ${ack.kind} ${ack.id}`).toBe(1);
    }
  });
}

describe("crash consistency under kill -9", () => {
  it("keeps every acknowledged transition and a verifiable store across three crashes", async () => {
    const acknowledged: Ack[] = [];
    for (let round = 0; round < 3; round++) {
      const acks = await burstAndKill(round);
      expect(acks.length).toBeGreaterThan(0);
      acknowledged.push(...acks);
      // The restart itself must succeed on the file the crash left behind.
      const restarted = await spawnServer(dir);
      const listed = await restarted.call("list_interventions", { limit: 5 });
      expect(listed.isError).toBeFalsy();
      await restarted.close();
      await checkStore(acknowledged);
    }
  }, 55_000);
});
