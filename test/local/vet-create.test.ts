/**
 * A manual create judged by the decision engine: the kill switch neither
 * objects nor hides the engine's objections, opt-out and pause are refused
 * with true, distinct reasons, and a quality failure and an objection are both
 * kept in the flag reason.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decide } from "../../src/backend/local/decide/index.js";
import { LocalBackend } from "../../src/backend/local/index.js";
import type { Customer, Playbook } from "../../src/domain/catalog.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb as Db } from "../support/sqlite.js";
import { silentLogger } from "../../src/log.js";
import { writeFromTemplate } from "../../src/writer/template.js";
import type { Writer } from "../../src/writer/types.js";

const TENANT = "t1";
const NOW = new Date("2026-03-01T12:00:00.000Z");
const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const UPSELL = "8f3c2a1e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

const PLAYBOOK: Playbook = {
  id: UPSELL,
  name: "Plan Limit Approaching",
  status: "active",
  lifecycle_area: "upsell",
  entry_conditions: {
    all: [
      { field: "lifecycle_stage", op: "==", value: "active" },
      { field: "expansion_score", op: ">=", value: 0.7 },
    ],
  },
  exit_conditions: { any: [] },
  constraints: { channels: ["email", "in_app"], cooldown_hours: 24, max_per_week: 5 },
  strategy_hints: { preferred_channel: "email" },
  created_at: ago(90),
  status_changed_at: ago(90),
  success_rate: 0.5,
};

function customer(id: string, overrides: Partial<Customer> = {}): Customer {
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
    engagement_score: 0.8,
    expansion_score: 0.9,
    health: 0.9,
    risk_level: "low",
    opted_out: false,
    paused: false,
    last_activity_at: ago(1),
    churned_at: null,
    created_at: ago(300),
    ...overrides,
  };
}

/** The template's message with an unresolved placeholder: fails the `placeholders` error check. */
const placeholderWriter: Writer = {
  async write(input) {
    const output = writeFromTemplate(input);
    return { ...output, message_body: `${output.message_body} {{first_name}}` };
  },
};

let dir: string;
let store: Store;
let db: Db;

function backend(writer: Writer = { write: async (input) => writeFromTemplate(input) }): LocalBackend {
  return new LocalBackend({ store, tenantId: TENANT, writer, logger: silentLogger(), now: () => NOW });
}

function stored(id: string): { flagged: number; flag_reason: string | null } {
  return db.prepare("SELECT flagged, flag_reason FROM interventions WHERE id = ?").get(id) as { flagged: number; flag_reason: string | null };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-vet-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
  db.prepare("INSERT INTO tenants (id, name, created_at) VALUES (?, 'Vet tests', ?)").run(TENANT, ago(400));
  // Everything the email rules need, so only what a test plants can flag.
  await store.catalog.setMessagePolicy(TENANT, { postal_address: "Vet Ltd, 1 Test Road", unsubscribe: "{{unsubscribe_url}}", ai_disclosure: null, max_emoji: null, link_hosts: [] });
  await store.seed.insertPlaybook(TENANT, PLAYBOOK);
  await store.seed.insertCustomer(TENANT, customer("user-fit"));
  await store.seed.insertCustomer(TENANT, customer("user-misfit", { expansion_score: 0.2 }));
  await store.seed.insertCustomer(TENANT, customer("user-opted", { opted_out: true }));
  await store.seed.insertCustomer(TENANT, customer("user-paused", { paused: true }));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("decide with ignoreKillSwitch", () => {
  it("skips only the kill-switch gate, still reporting the rule; the default is unchanged", async () => {
    await store.catalog.setKillSwitch(TENANT, true);
    const plain = (await decide(store, TENANT, { user_id: "user-misfit", playbook_id: UPSELL, channel: "email" }, NOW)).response;
    expect(plain.decision).toMatchObject({ action: "skip", reason: "kill_switch_active" });
    const judged = (await decide(store, TENANT, { user_id: "user-misfit", playbook_id: UPSELL, channel: "email" }, NOW, { ignoreKillSwitch: true })).response;
    expect(judged.decision).toMatchObject({ action: "skip", reason: "no_matching_playbook" });
    expect(judged.rules.kill_switch).toMatchObject({ passed: false });
    const fits = (await decide(store, TENANT, { user_id: "user-fit", playbook_id: UPSELL, channel: "email" }, NOW, { ignoreKillSwitch: true })).response;
    expect(fits.decision.action).toBe("intervene");
    // The other gates still stop it.
    const paused = (await decide(store, TENANT, { user_id: "user-paused", playbook_id: UPSELL, channel: "email" }, NOW, { ignoreKillSwitch: true })).response;
    expect(paused.decision).toMatchObject({ action: "skip", reason: "user_paused" });
  });
});

describe("manual create while the kill switch is active", () => {
  it("still flags what the engine would not plan, so it cannot go out unacknowledged once the switch is off", async () => {
    await store.catalog.setKillSwitch(TENANT, true);
    const { id } = await backend().create({ user_id: "user-misfit", playbook_id: UPSELL, channel: "email" });
    expect(stored(id)).toEqual({ flagged: 1, flag_reason: "decision engine would skip (no_matching_playbook)" });
  });

  it("is no objection by itself", async () => {
    await store.catalog.setKillSwitch(TENANT, true);
    const { id } = await backend().create({ user_id: "user-fit", playbook_id: UPSELL, channel: "email" });
    expect(stored(id)).toEqual({ flagged: 0, flag_reason: null });
  });
});

describe("refusals name the user's real status", () => {
  it("an opted-out user asked not to be contacted", async () => {
    const error = await backend().create({ user_id: "user-opted", playbook_id: UPSELL, channel: "email" }).catch((e: unknown) => e as Error);
    expect(String((error as Error).message)).toMatch(/asked not to be contacted/);
  });

  it("a paused user's messages are held while paused; the operator can unpause", async () => {
    const error = (await backend()
      .create({ user_id: "user-paused", playbook_id: UPSELL, channel: "email" })
      .catch((e: unknown) => e)) as Error & { hint?: string };
    const text = `${error.message} ${JSON.stringify(error)}`;
    expect(text).not.toMatch(/could never reach/);
    expect(text).toMatch(/paused/);
    expect(text).toMatch(/while the pause lasts|while paused/);
    expect(text).toMatch(/unpause/);
    expect(db.prepare("SELECT COUNT(*) AS n FROM interventions").get()).toEqual({ n: 0 });
  });
});

describe("flag reason", () => {
  it("keeps both a failed quality check and the engine's objection", async () => {
    const { id } = await backend(placeholderWriter).create({ user_id: "user-misfit", playbook_id: UPSELL, channel: "email" });
    const row = stored(id);
    expect(row.flagged).toBe(1);
    expect(row.flag_reason).toMatch(/^placeholders: .+; decision engine would skip \(no_matching_playbook\)$/);
  });

  it("is the quality reason alone when the engine has no objection", async () => {
    const { id } = await backend(placeholderWriter).create({ user_id: "user-fit", playbook_id: UPSELL, channel: "email" });
    expect(stored(id).flag_reason).toMatch(/^placeholders: [^;]+$/);
  });
});
