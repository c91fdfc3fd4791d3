/**
 * --read-only hides every write tool AND refuses writes at the backend, so a
 * path around the tool list changes nothing; --tools registers an allow-list;
 * an unknown tool name or flag is a startup error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { ConfigError, ReadOnlyError } from "../../src/errors.js";
import { TOOLS } from "../../src/tools/index.js";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

const READ_TOOLS = ["list_interventions", "get_intervention", "dry_run_intervention"];

describe("read-only mode", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ argv: ["serve", "--read-only"] });
  });
  afterAll(async () => h.close());

  it("registers only the read tools", async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS].sort());
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(h.client.getInstructions()).toMatch(/Read-only mode/);
  });

  it("refuses a hidden write tool called by name", async () => {
    const id = seededId(h.runtime, "planned");
    const text = await h.fails("pause_intervention", { intervention_id: id });
    expect(text).toMatch(/pause_intervention/);
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });

  it("refuses every write at the backend itself, changing nothing", async () => {
    const { backend } = h.runtime;
    const planned = seededId(h.runtime, "planned");
    const delivered = seededId(h.runtime, "delivered");
    const before = [storedStatus(h.runtime, planned), storedStatus(h.runtime, delivered)];
    const playbook = (dbOf(h.runtime).prepare("SELECT id FROM playbooks WHERE tenant_id = 'live' LIMIT 1").get() as { id: string }).id;
    const writes: [string, () => Promise<unknown>][] = [
      ["create", () => backend.create({ user_id: "anyone", playbook_id: playbook, channel: "email" })],
      ["approve", () => backend.approve(planned)],
      ["pause", () => backend.pause(planned)],
      ["reject", () => backend.reject(planned, "no")],
      ["flag", () => backend.flag(planned, "no")],
      ["rollback", () => backend.rollback(delivered, "no")],
    ];
    for (const [name, write] of writes) {
      const refusal = write();
      await expect(refusal, name).rejects.toBeInstanceOf(ReadOnlyError);
      await expect(write(), name).rejects.toThrow(/read-only mode/);
    }
    expect([storedStatus(h.runtime, planned), storedStatus(h.runtime, delivered)]).toEqual(before);
  });

  it("still reads and dry-runs", async () => {
    const page = await h.ok<{ interventions: unknown[] }>("list_interventions", { limit: 3 });
    expect(page.interventions).toHaveLength(3);
    const { user_id } = dbOf(h.runtime).prepare("SELECT user_id FROM interventions WHERE tenant_id = 'live' LIMIT 1").get() as { user_id: string };
    const dry = await h.ok<{ dry_run: boolean }>("dry_run_intervention", { user_id });
    expect(dry.dry_run).toBe(true);
  });

  it("is switched on by RETIVO_READ_ONLY too", () => {
    expect(parseConfig(["serve"], { RETIVO_READ_ONLY: "1" }).readOnly).toBe(true);
    expect(parseConfig(["serve"], { RETIVO_READ_ONLY: "false" }).readOnly).toBe(false);
  });
});

describe("tool allow-list", () => {
  it("registers exactly the listed tools (flag or env)", async () => {
    const h = await startHarness({ argv: ["serve", "--tools", "list_interventions,pause_intervention"] });
    try {
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(["list_interventions", "pause_intervention"]);
      expect(await h.fails("get_intervention", { intervention_id: seededId(h.runtime, "planned") })).toMatch(/get_intervention/);
    } finally {
      await h.close();
    }
    expect(parseConfig(["serve"], { RETIVO_TOOLS: "get_intervention" }).tools).toEqual(["get_intervention"]);
  });

  it("combined with --read-only keeps only the allowed read tools", async () => {
    const h = await startHarness({ argv: ["serve", "--read-only", "--tools", "get_intervention,approve_intervention"] });
    try {
      expect((await h.client.listTools()).tools.map((t) => t.name)).toEqual(["get_intervention"]);
    } finally {
      await h.close();
    }
  });
});

describe("startup errors", () => {
  it("names an unknown tool and the accepted ones", () => {
    const attempt = () => parseConfig(["--tools", "nope"], {});
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/'nope'/);
    for (const tool of TOOLS) expect(attempt).toThrow(new RegExp(tool.name));
    expect(() => parseConfig(["serve"], { RETIVO_TOOLS: "list_interventions,approve" })).toThrow(/'approve'/);
  });

  it("refuses an empty allow-list rather than exposing nothing or everything", () => {
    expect(() => parseConfig(["--tools", " , "], {})).toThrow(ConfigError);
  });

  it("refuses an unknown flag", () => {
    expect(() => parseConfig(["serve", "--readonly"], {})).toThrow(ConfigError);
    expect(() => parseConfig(["serve", "--readonly"], {})).toThrow(/--readonly/);
  });

  it("refuses a bad RETIVO_READ_ONLY value", () => {
    expect(() => parseConfig(["serve"], { RETIVO_READ_ONLY: "maybe" })).toThrow(/RETIVO_READ_ONLY/);
  });
});
