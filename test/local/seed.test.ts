import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { DetailedInterventionSchema, QualityChecksSchema, STATUSES, ProvenanceSchema } from "../../src/api/schemas.js";
import { evaluateCondition, userFacts } from "../../src/backend/local/conditions.js";
import { ensureSeeded, seedStore } from "../../src/backend/local/seed.js";
import { LIFECYCLE_STAGES, RISK_LEVELS } from "../../src/domain/catalog.js";
import { openStore, toIntervention, type InterventionRow, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb as Db } from "../support/sqlite.js";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const SEEDED_TABLES = ["tenants", "customers", "playbooks", "interventions", "inbox"] as const;

let dir: string;
let store: Store;
let db: Db;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-seed-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function dump(store: Db, tenantId: string): Record<string, unknown[]> {
  return Object.fromEntries(
    SEEDED_TABLES.map((table) => {
      const column = table === "tenants" ? "id" : "tenant_id";
      const order = table === "interventions" ? "seq" : table === "inbox" ? "intervention_id" : "id";
      return [table, store.prepare(`SELECT * FROM ${table} WHERE ${column} = ? ORDER BY ${order}`).all(tenantId)];
    }),
  );
}

function interventionRows(tenantId = "live"): InterventionRow[] {
  return db.prepare("SELECT * FROM interventions WHERE tenant_id = ? ORDER BY seq").all(tenantId) as InterventionRow[];
}

describe("seedStore", () => {
  it("creates the tenant, 8 playbooks, 200 customers and 60 interventions in every status", async () => {
    const summary = await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    expect(summary).toMatchObject({ tenant_id: "live", seed: 42, playbooks: 8, customers: 200, interventions: 60, opted_out: 10, paused: 10 });
    const byStatus = Object.fromEntries(
      (db.prepare("SELECT status, COUNT(*) AS n FROM interventions GROUP BY status").all() as { status: string; n: number }[]).map((r) => [r.status, r.n]),
    );
    expect(byStatus).toEqual(summary.by_status);
    for (const status of STATUSES) expect(byStatus[status], status).toBeGreaterThan(0);
    expect((db.prepare("SELECT COUNT(*) AS n FROM customers").get() as { n: number }).n).toBe(200);
  });

  it("writes a tenant with brand context that avoids the risky words", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const tenant = (await store.catalog.tenant("live"))!;
    expect(tenant).toMatchObject({ kill_switch_active: false, shadow_mode: false, webhook_url: null, escalation_threshold: 0.6 });
    expect(tenant.brand.product_description.length).toBeGreaterThan(20);
    expect(tenant.brand.tone_guidelines.length).toBeGreaterThan(20);
    expect(tenant.brand.things_to_mention.length).toBeGreaterThan(0);
    expect(tenant.brand.things_to_avoid).toEqual(expect.arrayContaining(["guaranteed", "free forever", "risk-free"]));
  });

  it("writes a playbook per lifecycle area, the 7/30/60-day win-back series and one archived", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const playbooks = await store.catalog.playbooks("live");
    for (const p of playbooks) {
      expect(z.uuid().safeParse(p.id).success, p.id).toBe(true);
      expect(p.constraints.channels.length).toBeGreaterThan(0);
      expect(p.constraints.cooldown_hours).toBeGreaterThan(0);
      expect(p.constraints.max_per_week).toBeGreaterThan(0);
      expect(p.constraints.channels).toContain(p.strategy_hints.preferred_channel);
    }
    const active = playbooks.filter((p) => p.status === "active");
    expect(new Set(active.map((p) => p.lifecycle_area))).toEqual(new Set(["onboarding", "churn_prevention", "retention", "upsell", "win_back"]));
    expect(playbooks.filter((p) => p.status === "archived")).toHaveLength(1);
    expect(active.map((p) => p.name)).toEqual(expect.arrayContaining(["Onboarding Kickstart", "Plan Limit Approaching"]));
    const winBack = active.filter((p) => p.lifecycle_area === "win_back");
    const churnWindows = winBack
      .map((p) => JSON.stringify(p.entry_conditions).match(/"days_since_churn","op":">=","value":(\d+)/)?.[1])
      .map(Number)
      .sort((a, b) => a - b);
    expect(churnWindows).toEqual([7, 30, 60]);
    const upsell = active.find((p) => p.name === "Plan Limit Approaching")!;
    expect(upsell.entry_conditions).toMatchObject({
      all: expect.arrayContaining([
        { field: "expansion_score", op: ">=", value: 0.7 },
        { field: "engagement_score", op: ">=", value: 0.6 },
      ]),
    });
    expect(upsell.strategy_hints.allowed_offers).toContainEqual({ id: "offer_annual_20", text: "20% off an annual plan" });
  });

  it("spreads customers over every stage, score range and risk level, consistently with their stage", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const customers = await Promise.all(Array.from({ length: 200 }, async (_, i) => (await store.catalog.customer("live", `user-${i + 1}`))!));
    expect(new Set(customers.map((c) => c.lifecycle_stage))).toEqual(new Set(LIFECYCLE_STAGES));
    expect(new Set(customers.map((c) => c.risk_level))).toEqual(new Set(RISK_LEVELS));
    for (const score of ["activation_score", "engagement_score", "expansion_score", "health"] as const) {
      const values = customers.map((c) => c[score]);
      expect(Math.min(...values), score).toBeLessThan(0.2);
      expect(Math.max(...values), score).toBeGreaterThan(0.8);
      expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    for (const c of customers) {
      expect(c.email).toMatch(/^[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+$/);
      expect(c.last_activity_at! >= c.created_at, c.id).toBe(true);
      expect(c.last_activity_at! <= NOW.toISOString(), c.id).toBe(true);
      const churnedBefore = c.lifecycle_stage === "churned" || c.lifecycle_stage === "recovered";
      expect(c.churned_at !== null, c.id).toBe(churnedBefore);
      if (c.lifecycle_stage === "churned") expect(c.last_activity_at! <= c.churned_at!, c.id).toBe(true);
    }
    expect(new Set(customers.map((c) => c.email)).size).toBe(200);
  });

  it("covers every risk level and stage for other seeds too", async () => {
    for (const seed of [1, 2, 3, 1234]) {
      const summary = await seedStore(store, { tenantId: `t${seed}`, seed, now: NOW });
      for (const level of RISK_LEVELS) expect(summary.by_risk[level], `${seed}:${level}`).toBeGreaterThan(0);
      for (const stage of LIFECYCLE_STAGES) expect(summary.by_stage[stage], `${seed}:${stage}`).toBeGreaterThan(0);
      for (const status of STATUSES) expect(summary.by_status[status], `${seed}:${status}`).toBeGreaterThan(0);
    }
  });

  it("writes interventions that read back as valid API objects with consistent timestamps", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const rows = interventionRows();
    const now = NOW.toISOString();
    for (const row of rows) {
      const label = `${row.id} (${row.status})`;
      DetailedInterventionSchema.parse(toIntervention(row));
      expect(row.id).toMatch(/^int_[a-z0-9]{20}$/);
      expect(row.confidence).toBeGreaterThanOrEqual(0);
      expect(row.confidence).toBeLessThanOrEqual(1);
      const provenance = ProvenanceSchema.parse(JSON.parse(row.provenance!));
      if (provenance.generated) expect(provenance, label).toMatchObject({ provider: "openai", generated: true });
      else expect(provenance).toEqual({ provider: "seed", generated: false, model: "none", prompt_id: "seed", prompt_hash: "seed" });
      expect(["playbook", "manual", "recommendation"]).toContain(row.origin);
      QualityChecksSchema.parse(JSON.parse(row.quality_checks!));
      expect(row.message_body.length).toBeLessThanOrEqual(row.channel === "in_app" ? 280 : 2000);
      expect(row.subject !== null, label).toBe(row.channel === "email");

      const reached = {
        approved_at: !["planned", "paused", "rejected"].includes(row.status),
        sent_at: ["sent", "delivered", "failed", "rolled_back"].includes(row.status),
        delivered_at: ["delivered", "rolled_back"].includes(row.status),
        rolled_back_at: row.status === "rolled_back",
      };
      for (const [field, expected] of Object.entries(reached)) {
        expect(row[field as keyof typeof reached] !== null, `${label} ${field}`).toBe(expected);
      }
      const sequence = [row.created_at, row.approved_at, row.sent_at, row.delivered_at, row.rolled_back_at].filter((t): t is string => t !== null);
      expect([...sequence].sort(), label).toEqual(sequence);
      expect(sequence.at(-1)! <= now, label).toBe(true);
      if (row.sent_at) expect(row.planned_at <= row.sent_at, label).toBe(true);
      if (row.status === "approved") expect(row.planned_at > now, label).toBe(true);
      expect(row.reject_reason !== null, label).toBe(row.status === "rejected");
      expect(row.rollback_reason !== null, label).toBe(row.status === "rolled_back");
      expect(row.suppress_reason !== null, label).toBe(row.status === "suppressed");
    }
    const seqOrder = rows.map((r) => r.created_at);
    expect([...seqOrder].sort()).toEqual(seqOrder);
  });

  it("sends suppressed interventions only to opted-out or paused users, and others only to reachable ones", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    for (const row of interventionRows()) {
      const c = (await store.catalog.customer("live", row.user_id))!;
      // The one exception is planted: a user who opted out after their intervention was planned.
      const consentCase = row.flag_reason === `consent: ${row.user_id} opted out after this was planned`;
      expect(c.opted_out || c.paused, `${row.id} ${row.status}`).toBe(row.status === "suppressed" || consentCase);
    }
    const consent = interventionRows().filter((r) => r.flag_reason?.startsWith("consent:"));
    expect(await Promise.all(consent.map(async (r) => [r.status, (await store.catalog.customer("live", r.user_id))!.opted_out]))).toEqual([["planned", true]]);
  });

  it("mostly targets customers the playbook really matches, and cites their real scores", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const playbooks = new Map((await store.catalog.playbooks("live")).map((p) => [p.id, p]));
    let matching = 0;
    for (const row of interventionRows()) {
      const c = (await store.catalog.customer("live", row.user_id))!;
      const p = playbooks.get(row.playbook_id)!;
      if (evaluateCondition(p.entry_conditions, userFacts(c, NOW)).passed) matching++;
      const scores = [c.activation_score, c.engagement_score, c.expansion_score, c.health].map(String);
      expect(scores.some((s) => row.reasoning.includes(s)), `${row.id}: ${row.reasoning}`).toBe(true);
      if (row.channel === "email" && row.flagged === 0) expect(row.message_body, row.id).toContain(`Hi ${c.name.split(" ")[0]},`);
    }
    expect(matching).toBeGreaterThanOrEqual(50);
  });

  it("plants flagged interventions with failing quality checks", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const flagged = interventionRows().filter((r) => r.flagged === 1);
    expect(flagged.length).toBeGreaterThanOrEqual(4);
    for (const row of flagged) expect(row.flag_reason).toBeTruthy();
    const failing = (name: string) =>
      flagged.find((r) => JSON.parse(r.quality_checks!).checks.some((c: { name: string; passed: boolean }) => c.name === name && !c.passed));
    const avoid = failing("avoid_terms")!;
    expect(avoid.message_body).toContain("guaranteed");
    expect(JSON.parse(avoid.quality_checks!).passed).toBe(false);
    expect(avoid.flag_reason).toContain("guaranteed");
    const placeholder = failing("placeholders")!;
    expect(placeholder.message_body).toContain("{{first_name}}");
    expect(placeholder.status).not.toMatch(/sent|delivered/);
    const unflagged = interventionRows().filter((r) => r.flagged === 0);
    for (const row of unflagged) {
      expect(row.flag_reason).toBeNull();
      expect(JSON.parse(row.quality_checks!).passed, row.id).toBe(true);
      expect(row.message_body.replaceAll("{{unsubscribe_url}}", "")).not.toMatch(/guaranteed|free forever|risk-free|\{\{/i);
    }
  });

  it("gives the tenant a postal address and an unsubscribe token, and every email a footer that carries them", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const { policy } = (await store.catalog.tenant("live"))!;
    expect(policy).toMatchObject({ postal_address: expect.stringMatching(/\d/), unsubscribe: "{{unsubscribe_url}}", max_emoji: 0, link_hosts: ["lumen.example"] });
    const emails = interventionRows().filter((r) => r.channel === "email");
    const withFooter = emails.filter((r) => r.message_body.includes(`${policy.postal_address}\nUnsubscribe: ${policy.unsubscribe}`));
    // All but the two planted to miss one part of it.
    expect(emails.length - withFooter.length).toBe(2);
  });

  it.each([1, 42, 1234])("seed %i: every message passes the writer's own checks, except the few planted to fail each one", async (seed) => {
    await seedStore(store, { tenantId: "live", seed, now: NOW });
    const rows = interventionRows();
    const failing = (row: InterventionRow) =>
      (JSON.parse(row.quality_checks!) as { checks: { name: string; passed: boolean; severity: string }[] }).checks.filter((c) => !c.passed && c.severity === "error").map((c) => c.name);
    const failedChecks = rows.flatMap(failing);
    for (const name of ["avoid_terms", "placeholders", "offers", "pii", "unsubscribe", "postal_address", "emoji", "links", "markup", "ai_disclosure"]) {
      expect(failedChecks.filter((n) => n === name), name).toHaveLength(1);
    }
    for (const row of rows) {
      const failed = failing(row);
      expect(failed.length <= 1, `${row.id}: ${failed.join(", ")}`).toBe(true);
      if (failed.length) expect(row.flag_reason, row.id).toMatch(new RegExp(`^${failed[0]}: `));
    }
    const warned = rows.filter((r) => JSON.parse(r.quality_checks!).checks.some((c: { name: string; passed: boolean }) => c.name === "subject_matches_body" && !c.passed));
    expect(warned.map((r) => r.flagged)).toEqual(expect.arrayContaining([0]));
    expect(rows.filter((r) => r.flagged === 1)).toHaveLength(12);
  });

  it("puts delivered in-app messages in the inbox, withdrawn when rolled back", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const inApp = interventionRows().filter((r) => r.channel === "in_app" && r.delivered_at !== null);
    expect(inApp.length).toBeGreaterThan(0);
    const inbox = db.prepare("SELECT * FROM inbox WHERE tenant_id = 'live'").all() as { intervention_id: string; withdrawn_at: string | null }[];
    expect(inbox.map((i) => i.intervention_id).sort()).toEqual(inApp.map((r) => r.id).sort());
    for (const entry of inbox) {
      const row = inApp.find((r) => r.id === entry.intervention_id)!;
      expect(entry.withdrawn_at).toBe(row.rolled_back_at);
    }
  });

  it("leaves a consistent store: foreign keys, integrity and an audit chain with the seed event", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    await seedStore(store, { tenantId: "test", seed: 42, now: NOW });
    expect(db.prepare("PRAGMA foreign_key_check").all()).toEqual([]);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(await store.audit.verify()).toEqual({ ok: true, rows: 2 });
    const events = await store.audit.recent(10);
    expect(events.map((e) => [e.event, e.tenant_id, e.actor])).toEqual([
      ["seed", "live", "system:seed"],
      ["seed", "test", "system:seed"],
    ]);
    expect(JSON.parse(events[0]!.detail)).toEqual({ seed: 42, playbooks: 8, customers: 200, interventions: 60 });
  });
});

describe("determinism", () => {
  it("writes identical rows for the same seed and time, in another file", async () => {
    await seedStore(store, { tenantId: "live", seed: 7, now: NOW });
    const other = await openStore({ dbPath: join(dir, "other.db") });
    try {
      await seedStore(other, { tenantId: "live", seed: 7, now: NOW });
      expect(dump(dbOf(other), "live")).toEqual(dump(db, "live"));
    } finally {
      await other.close();
    }
  });

  it("writes different rows for a different seed", async () => {
    await seedStore(store, { tenantId: "live", seed: 7, now: NOW });
    const other = await openStore({ dbPath: join(dir, "other.db") });
    try {
      await seedStore(other, { tenantId: "live", seed: 8, now: NOW });
      const [a, b] = [dump(db, "live"), dump(dbOf(other), "live")];
      expect(b.customers).not.toEqual(a.customers);
      expect(b.interventions).not.toEqual(a.interventions);
      expect(b.playbooks).not.toEqual(a.playbooks);
    } finally {
      await other.close();
    }
  });

  it("gives a second tenant in the same file its own intervention ids", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    await seedStore(store, { tenantId: "test", seed: 42, now: NOW });
    const live = new Set(interventionRows("live").map((r) => r.id));
    const test = interventionRows("test").map((r) => r.id);
    expect(test).toHaveLength(60);
    expect(test.filter((id) => live.has(id))).toEqual([]);
    expect(await store.catalog.customer("test", "user-1")).toBeDefined();
  });
});

describe("ensureSeeded", () => {
  it("seeds once, then leaves the tenant alone", async () => {
    const first = await ensureSeeded(store, "live", 42, NOW);
    expect(first?.interventions).toBe(60);
    const before = dump(db, "live");
    expect(await ensureSeeded(store, "live", 99, NOW)).toBeNull();
    expect(dump(db, "live")).toEqual(before);
    expect(await store.audit.verify()).toEqual({ ok: true, rows: 1 });
  });

  it("refuses to seed over an existing tenant through seedStore, changing nothing", async () => {
    await seedStore(store, { tenantId: "live", seed: 42, now: NOW });
    const before = dump(db, "live");
    await expect(seedStore(store, { tenantId: "live", seed: 1, now: NOW })).rejects.toThrow(/already has data/);
    expect(dump(db, "live")).toEqual(before);
  });

  it("rolls back everything when any write fails", async () => {
    // A leftover intervention id collides with one the seed will generate: the whole seed must roll back.
    await seedStore(store, { tenantId: "live", seed: 5, now: NOW });
    const firstId = interventionRows("live")[0]!.id;
    const otherStore = await openStore({ dbPath: join(dir, "other.db") });
    const other = dbOf(otherStore);
    try {
      other.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('x', 'x', ?)").run(NOW.toISOString());
      other.prepare("INSERT INTO customers (tenant_id, id, name, email, lifecycle_stage, activation_score, engagement_score, expansion_score, health, risk_level, created_at) VALUES ('x','u','u','u@x.io','new',0,0,0,0,'low',?)").run(NOW.toISOString());
      other.prepare("INSERT INTO playbooks (tenant_id, id, name, status, lifecycle_area, entry_conditions, exit_conditions, constraints, strategy_hints, created_at, status_changed_at) VALUES ('x','p','p','active','onboarding','{}','{}','{}','{}',?,?)").run(NOW.toISOString(), NOW.toISOString());
      other.prepare("INSERT INTO interventions (id, tenant_id, user_id, playbook_id, status, channel, message_body, reasoning, confidence, planned_at, created_at, updated_at) VALUES (?, 'x','u','p','planned','email','b','r',0.5,?,?,?)").run(firstId, NOW.toISOString(), NOW.toISOString(), NOW.toISOString());
      await expect(ensureSeeded(otherStore, "live", 5, NOW)).rejects.toThrow(/UNIQUE/);
      expect(other.prepare("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = 'live'").get()).toEqual({ n: 0 });
      expect(other.prepare("SELECT COUNT(*) AS n FROM tenants WHERE id = 'live'").get()).toEqual({ n: 0 });
      expect(other.prepare("SELECT COUNT(*) AS n FROM audit_log").get()).toEqual({ n: 0 });
    } finally {
      await otherStore.close();
    }
  });
});
