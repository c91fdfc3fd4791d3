/**
 * Consent after planning, on the local store: a user who opts out or is paused
 * once an intervention is planned gets it flagged at once, and approve refuses
 * it (flagging it first if the gate was set some other way), until the user
 * can be messaged again. Nothing already sent is touched.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Channel } from "../../src/api/schemas.js";
import { LocalBackend } from "../../src/backend/local/index.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb as Db } from "../support/sqlite.js";
import { ConflictError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { createTemplateWriter } from "../../src/writer/template.js";

let dir: string;
let store: Store;
let db: Db;
let backend: LocalBackend;
/** A user the engine itself would message now, so only consent can flag what we plan for them. */
let fixtures: { userId: string; playbookId: string; channel: Channel };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-consent-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
  await ensureSeeded(store, "live", 42);
  backend = new LocalBackend({ store, tenantId: "live", writer: createTemplateWriter(), logger: silentLogger() });
  for (const userId of await store.catalog.searchCustomerIds("live", "", 200)) {
    const { decision } = await backend.dryRun({ user_id: userId });
    if (decision.action === "intervene") {
      fixtures = { userId, playbookId: decision.playbook_id, channel: decision.channel as Channel };
      break;
    }
  }
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plan(): Promise<string> {
  const { id } = await backend.create({ user_id: fixtures.userId, playbook_id: fixtures.playbookId, channel: fixtures.channel });
  expect((await backend.get(id)).flagged).toBe(false);
  return id;
}

async function refusal(promise: Promise<unknown>): Promise<ConflictError> {
  const error = await promise.then(
    () => expect.fail("expected a refusal"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConflictError);
  return error as ConflictError;
}

describe("an opt-out after planning", () => {
  it("flags the planned intervention at once, and approve refuses it, naming why", async () => {
    const id = await plan();
    expect(await store.catalog.setCustomerConsent("live", fixtures.userId, { opted_out: true }, new Date())).toEqual([id]);

    const flagged = await backend.get(id);
    expect(flagged).toMatchObject({ status: "planned", flagged: true, flag_reason: `consent: ${fixtures.userId} opted out after this was planned` });
    expect((await store.audit.trail(id)).at(-1)).toMatchObject({ event: "flagged", actor: "system:consent" });

    const error = await refusal(backend.approve(id));
    expect(error.message).toBe(`Cannot approve ${id}: ${fixtures.userId} opted out of messages after it was planned, so it must not be sent.`);
    expect(error.hint).toMatch(/reject_intervention/);
    expect(error.httpStatus).toBe(409);
    const after = await backend.get(id);
    expect(after).toMatchObject({ status: "planned", approved_at: null, version: flagged.version });
    // Refusing again records nothing new.
    await refusal(backend.approve(id));
    expect((await store.audit.trail(id)).filter((r) => r.event === "flagged")).toHaveLength(1);
  });

  it("moves an approved, unsent intervention to paused, and leaves what was sent alone", async () => {
    const approved = await plan();
    await backend.approve(approved);
    const sent = db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'delivered' LIMIT 1").get() as { id: string };
    const owner = (await backend.get(sent.id)).user_id;
    const before = await backend.get(sent.id);

    await store.catalog.setCustomerConsent("live", fixtures.userId, { paused: true }, new Date());
    expect(await backend.get(approved)).toMatchObject({ status: "paused", flagged: true, flag_reason: `consent: ${fixtures.userId} was paused after this was planned` });
    const paused = await refusal(backend.approve(approved));
    expect(paused.message).toMatch(/was paused after it was planned/);

    await store.catalog.setCustomerConsent("live", owner, { opted_out: true }, new Date());
    expect(await backend.get(sent.id)).toEqual(before);
  });

  it("can be approved again once the user opts back in, with the flag still there for the approver", async () => {
    const id = await plan();
    await store.catalog.setCustomerConsent("live", fixtures.userId, { opted_out: true }, new Date());
    expect(await store.catalog.setCustomerConsent("live", fixtures.userId, { opted_out: false }, new Date())).toEqual([]);
    expect(await backend.approve(id)).toEqual({ id, status: "approved" });
    expect((await backend.get(id)).flagged).toBe(true);
  });

  it("keeps a reviewer's flag beside the consent one", async () => {
    const id = await plan();
    await backend.flag(id, "tone is off for this account");
    await store.catalog.setCustomerConsent("live", fixtures.userId, { opted_out: true }, new Date());
    expect((await backend.get(id)).flag_reason).toBe(
      `consent: ${fixtures.userId} opted out after this was planned; flagged for review: tone is off for this account`,
    );
  });

  it("puts the consent reason before a quality failure's, and keeps both", async () => {
    const id = await plan();
    // As a quality check would have flagged it at create.
    db.prepare("UPDATE interventions SET flagged = 1, flag_reason = 'links: links to bit.ly', version = version + 1 WHERE id = ?").run(id);
    await store.catalog.setCustomerConsent("live", fixtures.userId, { opted_out: true }, new Date());
    expect((await backend.get(id)).flag_reason).toBe(`consent: ${fixtures.userId} opted out after this was planned; links: links to bit.ly`);
  });

  it("refuses an unknown user and changes nothing", async () => {
    await expect(store.catalog.setCustomerConsent("live", "nobody", { opted_out: true }, new Date())).rejects.toThrow(/No customer with user_id 'nobody'/);
  });
});

describe("a gate set without setCustomerConsent", () => {
  it("is caught at approval: flagged and refused in one step", async () => {
    const id = await plan();
    db.prepare("UPDATE customers SET opted_out = ?, paused = ? WHERE tenant_id = 'live' AND id = ?").run(1, 0, fixtures.userId);
    expect((await backend.get(id)).flagged).toBe(false);

    await refusal(backend.approve(id));
    expect(await backend.get(id)).toMatchObject({ status: "planned", flagged: true, flag_reason: `consent: ${fixtures.userId} opted out after this was planned` });
  });

  it("is caught by assertApprovable before anyone is asked, which approves nothing", async () => {
    const id = await plan();
    await expect(backend.assertApprovable(id)).resolves.toBeUndefined();
    db.prepare("UPDATE customers SET opted_out = ?, paused = ? WHERE tenant_id = 'live' AND id = ?").run(0, 1, fixtures.userId);

    const error = await refusal(backend.assertApprovable(id));
    expect(error.message).toMatch(/was paused after it was planned/);
    expect(await backend.get(id)).toMatchObject({ status: "planned", flagged: true });
    expect((await store.catalog.customer("live", fixtures.userId))!.paused).toBe(true);
  });
});
