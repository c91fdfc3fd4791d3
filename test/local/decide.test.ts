import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DryRunResponseSchema, type DryRunRequest, type Status } from "../../src/api/schemas.js";
import type { Customer, Playbook } from "../../src/domain/catalog.js";
import { userFacts } from "../../src/backend/local/conditions.js";
import { confidenceFor, decide } from "../../src/backend/local/decide/index.js";
import { insertRow } from "../../src/store/ops/interventions.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, inWriteTx, type SqliteDb as Db } from "../support/sqlite.js";
import { NotFoundError } from "../../src/errors.js";

const TENANT = "t1";
const NOW = new Date("2026-03-01T12:00:00.000Z");
const HOUR = 3_600_000;
const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR).toISOString();

const UPSELL = "8f3c2a1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
const HABIT = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d";
const RESCUE = "2b3c4d5e-6f7a-4b9c-8d1e-2f3a4b5c6d7e";
const ARCHIVED = "3c4d5e6f-7a8b-4c0d-9e2f-3a4b5c6d7e8f";

function playbook(id: string, overrides: Partial<Playbook>): Playbook {
  return {
    id,
    name: id,
    status: "active",
    lifecycle_area: "retention",
    entry_conditions: { all: [] },
    exit_conditions: { any: [] },
    constraints: { channels: ["email", "in_app"], cooldown_hours: 24, max_per_week: 2 },
    strategy_hints: {},
    created_at: ago(24 * 90),
    status_changed_at: ago(24 * 90),
    success_rate: null,
    ...overrides,
  };
}

const PLAYBOOKS: Playbook[] = [
  playbook(UPSELL, {
    name: "Plan Limit Approaching",
    lifecycle_area: "upsell",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "==", value: "active" },
        { field: "expansion_score", op: ">=", value: 0.7 },
        { field: "engagement_score", op: ">=", value: 0.6 },
      ],
    },
    exit_conditions: { any: [{ field: "risk_level", op: "in", value: ["high", "critical"] }] },
    constraints: { channels: ["email", "in_app"], cooldown_hours: 168, max_per_week: 2 },
    strategy_hints: { preferred_channel: "email", tone: "helpful" },
    success_rate: 0.3,
  }),
  playbook(HABIT, {
    name: "Habit Builder",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "in", value: ["active", "recovered"] },
        { field: "engagement_score", op: ">=", value: 0.35 },
      ],
    },
    constraints: { channels: ["in_app", "email"], cooldown_hours: 24, max_per_week: 1 },
    strategy_hints: { preferred_channel: "in_app" },
    success_rate: 0.5,
  }),
  playbook(RESCUE, {
    name: "Churn Risk Rescue",
    lifecycle_area: "churn_prevention",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "==", value: "at_risk" },
        {
          any: [
            { field: "engagement_score", op: "<", value: 0.35 },
            { field: "risk_level", op: "in", value: ["high", "critical"] },
          ],
        },
      ],
    },
    exit_conditions: { any: [{ field: "engagement_score", op: ">=", value: 0.6 }] },
    constraints: { channels: ["email"], cooldown_hours: 72, max_per_week: 2 },
    strategy_hints: { preferred_channel: "email" },
    success_rate: 0.2,
  }),
  playbook(ARCHIVED, { name: "Old Nudge", status: "archived" }),
];

function customer(id: string, overrides: Partial<Customer>): Customer {
  return {
    id,
    name: "Dana Kowalski",
    email: `${id}@example.com`,
    company: "Brightloop",
    role: "Founder",
    team_size: 5,
    locale: "en",
    lifecycle_stage: "active",
    activation_score: 0.9,
    engagement_score: 0.7,
    expansion_score: 0.82,
    health: 0.8,
    risk_level: "low",
    opted_out: false,
    paused: false,
    last_activity_at: ago(24),
    churned_at: null,
    created_at: ago(24 * 300),
    ...overrides,
  };
}

const CUSTOMERS: Customer[] = [
  customer("user-up", {}),
  customer("user-lowexp", { expansion_score: 0.42, engagement_score: 0.5 }),
  customer("user-crit", {
    lifecycle_stage: "at_risk",
    activation_score: 0.3,
    engagement_score: 0.1,
    expansion_score: 0.1,
    health: 0.12,
    risk_level: "critical",
    last_activity_at: ago(24 * 20),
  }),
  customer("user-exit", { lifecycle_stage: "at_risk", engagement_score: 0.65, risk_level: "high" }),
  customer("user-new", { lifecycle_stage: "new", activation_score: 0.1, engagement_score: 0.2, expansion_score: 0, risk_level: "medium" }),
  customer("user-opted", { opted_out: true }),
  customer("user-paused", { paused: true }),
  customer("user-both", { opted_out: true, paused: true }),
];

let dir: string;
let store: Store;
let db: Db;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-decide-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
  db.prepare("INSERT INTO tenants (id, name, created_at) VALUES (?, 'Decide tests', ?)").run(TENANT, ago(24 * 400));
  for (const p of PLAYBOOKS) await store.seed.insertPlaybook(TENANT, p);
  for (const c of CUSTOMERS) await store.seed.insertCustomer(TENANT, c);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
async function addIntervention(userId: string, playbookId: string, createdAt: string, status: Status = "delivered"): Promise<void> {
  counter++;
  const row = {
    id: `int_test${String(counter).padStart(16, "0")}`,
    tenant_id: TENANT,
    user_id: userId,
    playbook_id: playbookId,
    status,
    channel: "email",
    subject: "s",
    message_body: "body",
    reasoning: "why",
    confidence: 0.7,
    planned_at: createdAt,
    flagged: 0,
    flag_reason: null,
    quality_checks: null,
    origin: "playbook",
    provenance: null,
    created_at: createdAt,
  } as const;
  await inWriteTx(store, (tx) => insertRow(tx, row));
}

async function run(request: DryRunRequest) {
  const outcome = await decide(store, TENANT, request, NOW);
  DryRunResponseSchema.parse(outcome.response);
  return outcome;
}

describe("decide: gates", () => {
  it("skips an unknown user with an unknown context and only the tenant rules", async () => {
    const { response } = await run({ user_id: "user-404" });
    expect(response.decision).toMatchObject({ action: "skip", reason: "unknown_user", playbook_id: "", channel: "", confidence: 0 });
    expect(response.context).toEqual({ lifecycle_stage: "unknown", activation_score: 0, risk_level: "unknown", matched_playbooks: 0 });
    expect(Object.keys(response.rules).sort()).toEqual(["kill_switch", "shadow_mode"]);
  });

  it("skips on the kill switch first, still showing which playbooks would apply", async () => {
    await store.catalog.setKillSwitch(TENANT, true);
    const { response } = await run({ user_id: "user-both" });
    expect(response.decision).toMatchObject({ action: "skip", reason: "kill_switch_active", playbook_id: "" });
    expect(response.rules.kill_switch).toEqual({ passed: false, detail: expect.stringContaining("kill switch is active") });
    expect(response.rules.opt_out).toMatchObject({ passed: false });
    expect(response.rules.user_paused).toMatchObject({ passed: false });
    expect(response.context.matched_playbooks).toBe(2);
    expect(response.rules["entry_conditions:Plan Limit Approaching"]).toMatchObject({ passed: true });
  });

  it("reports opt-out before pause, and pause alone", async () => {
    expect((await run({ user_id: "user-both" })).response.decision.reason).toBe("opted_out");
    expect((await run({ user_id: "user-opted" })).response.decision.reason).toBe("opted_out");
    const paused = (await run({ user_id: "user-paused" })).response;
    expect(paused.decision).toMatchObject({ action: "skip", reason: "user_paused" });
    expect(paused.rules.opt_out).toEqual({ passed: true, detail: "the user has not opted out" });
    expect(paused.rules.user_paused).toEqual({ passed: false, detail: "the user is paused" });
  });

  it("reports shadow mode but still answers intervene", async () => {
    await store.catalog.setShadowMode(TENANT, true);
    const { response } = await run({ user_id: "user-up" });
    expect(response.decision.action).toBe("intervene");
    expect(response.rules.shadow_mode).toMatchObject({ passed: false });
    expect(response.decision.reasoning).toContain("Shadow mode is on");
  });

  it("refuses a tenant that does not exist", async () => {
    await expect(decide(store, "nobody", { user_id: "user-up" }, NOW)).rejects.toThrow(NotFoundError);
  });
});

describe("decide: intervene", () => {
  it("describes the intervention that would be created, with every rule evaluated", async () => {
    const outcome = await run({ user_id: "user-up" });
    const { decision, rules, context } = outcome.response;
    expect(decision).toMatchObject({ action: "intervene", playbook_id: UPSELL, channel: "email", reason: "" });
    // fit = mean(1, 0.5 + 0.5·0.12/0.25, 0.5 + 0.5·0.1/0.25); signal = mean(0.9, 0.7, 0.8); track 0.3
    expect(decision.confidence).toBe(0.76);
    expect(decision.reasoning).toBe(
      '"Plan Limit Approaching" applies to user-up (stage active): lifecycle_stage active == active; expansion_score 0.82 >= 0.7; ' +
        'engagement_score 0.7 >= 0.6. Chosen over "Habit Builder" as the most specific matching playbook. ' +
        "It would go by email (the playbook's preferred channel).",
    );
    expect(context).toEqual({ lifecycle_stage: "active", activation_score: 0.9, risk_level: "low", matched_playbooks: 2 });
    expect(Object.keys(rules).sort()).toEqual(
      [
        "channel_allowed",
        "cooldown",
        "entry_conditions:Churn Risk Rescue",
        "entry_conditions:Habit Builder",
        "entry_conditions:Plan Limit Approaching",
        "escalation",
        "exit_conditions:Habit Builder",
        "exit_conditions:Plan Limit Approaching",
        "frequency_cap",
        "kill_switch",
        "opt_out",
        "shadow_mode",
        "user_paused",
      ].sort(),
    );
    for (const [name, rule] of Object.entries(rules)) {
      expect(rule, name).toEqual({ passed: expect.any(Boolean), detail: expect.any(String) });
      if (name !== "entry_conditions:Churn Risk Rescue") expect(rule, name).toMatchObject({ passed: true });
    }
    expect(rules["entry_conditions:Churn Risk Rescue"]).toEqual({ passed: false, detail: "lifecycle_stage active != at_risk" });
    expect(outcome.customer?.id).toBe("user-up");
    expect(outcome.playbook?.id).toBe(UPSELL);
    expect(outcome.channel).toBe("email");
  });

  it("computes confidence with the documented formula", () => {
    const c = CUSTOMERS.find((x) => x.id === "user-up")!;
    const p = PLAYBOOKS.find((x) => x.id === UPSELL)!;
    const fit = (1 + (0.5 + 0.5 * (0.12 / 0.25)) + (0.5 + 0.5 * (0.1 / 0.25))) / 3;
    const expected = Math.round((0.15 + 0.35 * fit + 0.35 * ((0.9 + 0.7 + 0.8) / 3) + 0.15 * 0.3) * 100) / 100;
    expect(confidenceFor(p, userFacts(c, NOW), fit)).toBe(expected);
    expect(confidenceFor({ ...p, success_rate: null }, userFacts(c, NOW), 0)).toBe(0.51);
    // Inputs outside 0..1 are clamped, and the result never claims certainty.
    const extreme = { ...userFacts(c, NOW), activation_score: 5, engagement_score: 5, health: 5 };
    expect(confidenceFor({ ...p, success_rate: 1 }, extreme, 5)).toBe(0.95);
    expect(confidenceFor({ ...p, success_rate: 0 }, { ...extreme, activation_score: -1, engagement_score: 0, health: 0 }, 0)).toBe(0.15);
  });

  it("prefers the more successful of two equally specific playbooks and says so", async () => {
    await store.seed.insertPlaybook(
      TENANT,
      playbook("4d5e6f7a-8b9c-4d1e-8f3a-4b5c6d7e8f9a", {
        name: "Annual Nudge",
        entry_conditions: {
          all: [
            { field: "lifecycle_stage", op: "==", value: "active" },
            { field: "expansion_score", op: ">", value: 0.5 },
            { field: "health", op: ">=", value: 0.5 },
          ],
        },
        success_rate: 0.45,
      }),
    );
    const { response } = await run({ user_id: "user-up" });
    expect(response.decision.playbook_id).toBe("4d5e6f7a-8b9c-4d1e-8f3a-4b5c6d7e8f9a");
    expect(response.decision.reasoning).toContain("for the highest success rate (0.45 vs 0.3)");
    expect(response.context.matched_playbooks).toBe(3);
  });

  it("uses a requested channel the playbook allows, and only the requested playbook", async () => {
    const { response } = await run({ user_id: "user-up", playbook_id: HABIT, channel: "email" });
    expect(response.decision).toMatchObject({ action: "intervene", playbook_id: HABIT, channel: "email" });
    expect(response.decision.reasoning).toContain("(requested)");
    expect(response.context.matched_playbooks).toBe(1);
    expect(Object.keys(response.rules).filter((r) => r.startsWith("entry_conditions:"))).toEqual(["entry_conditions:Habit Builder"]);
  });

  it("falls back to the first allowed channel when the playbook prefers none", async () => {
    db.prepare("UPDATE playbooks SET strategy_hints = '{}' WHERE id = ?").run(HABIT);
    const { response } = await run({ user_id: "user-up", playbook_id: HABIT });
    expect(response.decision.channel).toBe("in_app");
    expect(response.rules.channel_allowed).toMatchObject({ passed: true, detail: expect.stringContaining("first allowed channel") });
  });
});

describe("decide: skip", () => {
  it("skips a channel the playbook does not allow", async () => {
    const { response } = await run({ user_id: "user-up", channel: "webhook" });
    expect(response.decision).toMatchObject({ action: "skip", reason: "channel_not_allowed", playbook_id: UPSELL, channel: "" });
    expect(response.rules.channel_allowed).toEqual({
      passed: false,
      detail: "webhook (requested) is not among the playbook's channels: email, in_app",
    });
  });

  it("skips a preferred channel that the constraints do not list", async () => {
    db.prepare(`UPDATE playbooks SET strategy_hints = '{"preferred_channel":"webhook"}' WHERE id = ?`).run(UPSELL);
    expect((await run({ user_id: "user-up", playbook_id: UPSELL })).response.decision.reason).toBe("channel_not_allowed");
  });

  it("skips an unknown playbook id", async () => {
    const { response } = await run({ user_id: "user-up", playbook_id: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b" });
    expect(response.decision).toMatchObject({ action: "skip", reason: "unknown_playbook", playbook_id: "" });
    expect(response.context.matched_playbooks).toBe(0);
  });

  it("skips an archived playbook even when asked for it by id", async () => {
    const { response } = await run({ user_id: "user-new", playbook_id: ARCHIVED });
    expect(response.decision).toMatchObject({ action: "skip", reason: "playbook_inactive", playbook_id: ARCHIVED });
  });

  it("never considers archived playbooks on its own", async () => {
    // Old Nudge's entry conditions are empty (always true), but it is archived.
    const { response } = await run({ user_id: "user-new" });
    expect(response.decision).toMatchObject({ action: "skip", reason: "no_matching_playbook" });
    expect(response.rules["entry_conditions:Old Nudge"]).toBeUndefined();
  });

  it("names the first failing entry condition of a requested playbook", async () => {
    const { response } = await run({ user_id: "user-lowexp", playbook_id: UPSELL });
    expect(response.decision).toMatchObject({ action: "skip", reason: "no_matching_playbook" });
    expect(response.decision.reasoning).toBe('"Plan Limit Approaching" does not apply to user-lowexp: expansion_score 0.42 < 0.7.');
    expect(response.rules["entry_conditions:Plan Limit Approaching"]).toEqual({ passed: false, detail: "expansion_score 0.42 < 0.7" });
  });

  it("drops a playbook whose exit conditions are met", async () => {
    const { response } = await run({ user_id: "user-exit" });
    expect(response.decision).toMatchObject({ action: "skip", reason: "no_matching_playbook" });
    expect(response.rules["entry_conditions:Churn Risk Rescue"]).toMatchObject({ passed: true });
    expect(response.rules["exit_conditions:Churn Risk Rescue"]).toEqual({
      passed: false,
      detail: "exit condition met: engagement_score 0.65 >= 0.6",
    });
  });

  it("does not throw on a playbook with unreadable stored conditions and constraints", async () => {
    db.prepare(
      `UPDATE playbooks SET entry_conditions = '{"field":"mrr","op":">","value":1}', constraints = '{"channels":"email"}' WHERE id = ?`,
    ).run(HABIT);
    db.prepare(`UPDATE playbooks SET entry_conditions = '{"all":[]}', constraints = '{}', strategy_hints = '{}' WHERE id = ?`).run(UPSELL);
    const habit = (await run({ user_id: "user-up", playbook_id: HABIT })).response;
    expect(habit.rules["entry_conditions:Habit Builder"]).toMatchObject({ passed: false, detail: expect.stringMatching(/^unknown field 'mrr'/) });
    const upsell = (await run({ user_id: "user-up", playbook_id: UPSELL })).response;
    expect(upsell.decision).toMatchObject({ action: "skip", reason: "channel_not_allowed" });
    expect(upsell.rules.channel_allowed).toMatchObject({ passed: false, detail: expect.stringMatching(/allows no channel/) });
  });
});

describe("decide: wait", () => {
  it("waits out the cooldown of the same user and playbook", async () => {
    await addIntervention("user-up", UPSELL, ago(10));
    const { response } = await run({ user_id: "user-up" });
    const until = new Date(NOW.getTime() - 10 * HOUR + 168 * HOUR).toISOString();
    expect(response.decision).toMatchObject({ action: "wait", reason: `cooldown_until:${until}`, playbook_id: UPSELL, channel: "email" });
    expect(response.decision.confidence).toBe(0.76);
    expect(response.decision.reasoning).toContain("cooldown_hours of 168");
    expect(response.rules.cooldown).toMatchObject({ passed: false });
    expect(response.rules.frequency_cap).toMatchObject({ passed: true });
  });

  it("counts a cooldown from any status, but only for this playbook and within its hours", async () => {
    await addIntervention("user-up", UPSELL, ago(169), "rejected");
    await addIntervention("user-up", HABIT, ago(1));
    const { response } = await run({ user_id: "user-up", playbook_id: UPSELL });
    expect(response.decision.action).toBe("intervene");
    expect(response.rules.cooldown).toMatchObject({ passed: true });
  });

  it("waits for the weekly cap across all playbooks until enough interventions age out", async () => {
    await addIntervention("user-up", HABIT, ago(48), "planned");
    await addIntervention("user-up", RESCUE, ago(24), "delivered");
    await addIntervention("user-up", HABIT, ago(24 * 8), "delivered"); // older than a week
    const { response } = await run({ user_id: "user-up", playbook_id: UPSELL });
    const until = new Date(NOW.getTime() - 48 * HOUR + 7 * 24 * HOUR).toISOString();
    expect(response.decision).toMatchObject({ action: "wait", reason: `frequency_cap_until:${until}`, channel: "email" });
    expect(response.rules.frequency_cap).toMatchObject({ passed: false, detail: expect.stringContaining("2 interventions in the last 7 days") });
    expect(response.rules.cooldown).toMatchObject({ passed: true });
  });

  it("does not count rejected or suppressed interventions toward the cap", async () => {
    await addIntervention("user-up", HABIT, ago(48), "rejected");
    await addIntervention("user-up", RESCUE, ago(24), "suppressed");
    await addIntervention("user-up", RESCUE, ago(20), "paused");
    const { response } = await run({ user_id: "user-up", playbook_id: UPSELL });
    expect(response.decision.action).toBe("intervene");
    expect(response.rules.frequency_cap).toEqual({ passed: true, detail: "1 interventions in the last 7 days; max_per_week 2" });
  });

  it("reports the hold that lasts longer when both apply", async () => {
    await addIntervention("user-up", UPSELL, ago(72));
    await addIntervention("user-up", HABIT, ago(2));
    // Habit Builder: 24h cooldown ends in 22h; its cap of 1 lifts only when the newer one ages out.
    const { response } = await run({ user_id: "user-up", playbook_id: HABIT });
    const until = new Date(NOW.getTime() - 2 * HOUR + 7 * 24 * HOUR).toISOString();
    expect(response.decision.reason).toBe(`frequency_cap_until:${until}`);
    expect(response.rules.cooldown).toMatchObject({ passed: false });
    expect(response.rules.frequency_cap).toMatchObject({ passed: false });
  });

  it("skips instead of waiting forever when max_per_week is 0", async () => {
    db.prepare(`UPDATE playbooks SET constraints = '{"channels":["email"],"cooldown_hours":0,"max_per_week":0}' WHERE id = ?`).run(UPSELL);
    const { response } = await run({ user_id: "user-up", playbook_id: UPSELL });
    expect(response.decision).toMatchObject({ action: "skip", reason: "frequency_cap", channel: "" });
  });
});

describe("decide: escalate", () => {
  it("escalates high risk with confidence below the tenant threshold", async () => {
    const { response } = await run({ user_id: "user-crit" });
    expect(response.decision).toMatchObject({
      action: "escalate",
      reason: "high_risk_low_confidence",
      playbook_id: RESCUE,
      channel: "email",
      confidence: 0.59,
    });
    expect(response.rules.escalation).toEqual({
      passed: false,
      detail: "risk_level critical with confidence 0.59 < escalation threshold 0.6",
    });
    expect(response.decision.reasoning).toContain("escalation threshold of 0.6");
  });

  it("intervenes for the same user once the threshold is below the confidence", async () => {
    db.prepare("UPDATE tenants SET escalation_threshold = 0.5 WHERE id = ?").run(TENANT);
    const { response } = await run({ user_id: "user-crit" });
    expect(response.decision).toMatchObject({ action: "intervene", playbook_id: RESCUE, confidence: 0.59 });
    expect(response.rules.escalation).toMatchObject({ passed: true });
  });
});

describe("decide: a dry run", () => {
  it("persists nothing, whatever it decides", async () => {
    await addIntervention("user-up", UPSELL, ago(10));
    await store.catalog.setShadowMode(TENANT, true);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const snapshot = () => ({
      counts: tables.map((t) => (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n),
      totalChanges: db.prepare("SELECT total_changes() AS n").get(),
      interventions: db.prepare("SELECT * FROM interventions ORDER BY seq").all(),
    });
    const before = snapshot();
    const actions = new Set<string>();
    for (const c of [...CUSTOMERS.map((x) => x.id), "user-404"]) {
      for (const request of [{}, { playbook_id: UPSELL }, { channel: "webhook" as const }]) {
        actions.add((await run({ user_id: c, ...request })).response.decision.action);
      }
    }
    expect([...actions].sort()).toEqual(["escalate", "intervene", "skip", "wait"]);
    expect(snapshot()).toEqual(before);
  });

  it("answers the same for the same inputs", async () => {
    await addIntervention("user-up", HABIT, ago(30));
    for (const id of CUSTOMERS.map((c) => c.id)) {
      expect(await run({ user_id: id })).toEqual(await run({ user_id: id }));
    }
  });
});
