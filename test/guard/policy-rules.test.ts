/**
 * The approval policy by business risk (guard/policy.ts) as the server reads
 * it at start: a real RETIVO_POLICY file, every problem named in one message,
 * the tier each kind of guarded call gets (first matching rule wins, no match
 * keeps one human), and the rules no configured team could ever satisfy,
 * refused by the runtime before it serves anything.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { DEFAULT_VERDICT, impossibleRules, parsePolicy, readPolicy, tierOf, verdictFor, type Policy, type PolicySubject } from "../../src/guard/policy.js";
import { openStore } from "../../src/store/index.js";
import { startHarness } from "../support/harness.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function policyFile(content: unknown): string {
  dir ??= mkdtempSync(join(tmpdir(), "retivo-policy-"));
  const file = join(dir, "policy.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** The message the server stops with for this policy file. */
function refusal(content: unknown): string {
  const file = policyFile(content);
  try {
    readPolicy(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.replace(file, "FILE");
  }
  throw new Error("the policy was accepted");
}

const rule = (fields: Record<string, unknown>) => ({ rules: [{ name: "r", ...fields }] });
const policy = (content: unknown): Policy => parsePolicy(JSON.stringify(content), "inline.json");

describe("reading RETIVO_POLICY", () => {
  it("says when the file cannot be read, or is not JSON", () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-policy-"));
    expect(() => readPolicy(join(dir!, "missing.json"))).toThrow(new ConfigError(`Cannot read the approval policy ${join(dir!, "missing.json")} (RETIVO_POLICY): ENOENT.`));
    expect(refusal("{ rules: [] }")).toMatch(/^The approval policy FILE \(RETIVO_POLICY\) is not JSON: .+\.$/);
  });

  it("names every problem with its path, unknown keys by name", () => {
    expect(refusal({ rules: [], extra: 1 })).toBe('The approval policy FILE (RETIVO_POLICY) is not valid:\n  (top level): unknown key "extra"');
    expect(refusal({ rules: [{ name: "r", require: 1, color: "red", size: 2 }] })).toBe('The approval policy FILE (RETIVO_POLICY) is not valid:\n  rules[0]: unknown keys "color", "size"');
    expect(refusal({ rules: [{ name: "r", require: 1, match: { action: "delete" } }, { name: "", require: 1 }] })).toMatch(
      /^The approval policy FILE \(RETIVO_POLICY\) is not valid:\n {2}rules\[0\]\.match\.action: .+\n {2}rules\[1\]\.name: .+$/,
    );
    expect(refusal({ principals: { agent: "Not An Operator" }, rules: [] })).toBe("The approval policy FILE (RETIVO_POLICY) is not valid:\n  principals.agent: an operator name");
  });

  it("refuses rules that could not mean anything, each with why", () => {
    const problem = (fields: Record<string, unknown>) => refusal(rule(fields)).split("\n").slice(1);
    expect(problem({ require: 0 })).toEqual(["  rules[0].require: at least one human must approve"]);
    expect(problem({ require: 21 })).toHaveLength(1);
    expect(problem({})).toEqual(["  rules[0]: set require (how many distinct operators approve) or deny: true"]);
    expect(problem({ require: 1, deny_reason: "no" })).toEqual(["  rules[0]: deny_reason needs deny: true"]);
    expect(problem({ deny: true, require: 2, requester_may_approve: true, expires_after: "1h", remind_after: "1m", escalate_after: "2m" })).toEqual([
      "  rules[0]: a deny rule cannot also set require",
      "  rules[0]: a deny rule cannot also set requester_may_approve",
      "  rules[0]: a deny rule cannot also set expires_after",
      "  rules[0]: a deny rule cannot also set remind_after",
      "  rules[0]: a deny rule cannot also set escalate_after",
    ]);
    expect(problem({ require: 1, expires_after: "1h", remind_after: "60m" })).toEqual(["  rules[0]: remind_after must come before expires_after"]);
    expect(problem({ require: 1, expires_after: "1h", escalate_after: 3600 })).toEqual(["  rules[0]: escalate_after must come before expires_after"]);
    expect(problem({ require: 1, remind_after: "10m", escalate_after: "600s" })).toEqual(["  rules[0]: escalate_after must come after remind_after"]);
    expect(problem({ require: 1, expires_after: "0s" })).toEqual(["  rules[0].expires_after: a duration above zero"]);
    expect(problem({ require: 1, expires_after: "2 weeks" })).toEqual(['  rules[0].expires_after: a duration such as "90s", "10m", "2h" or "1d"']);
    expect(problem({ require: 1, expires_after: "x10m" })).toHaveLength(1);
    expect(problem({ require: 1, expires_after: "10mx" })).toEqual(['  rules[0].expires_after: a duration such as "90s", "10m", "2h" or "1d"']);
    expect(problem({ require: 1, match: { action: [] } })).toHaveLength(1);
    expect(refusal({ rules: Array.from({ length: 201 }, (_, i) => ({ name: `r${i}`, require: 1 })) }).split("\n")).toHaveLength(2);
  });

  it("refuses two rules of the same name", () => {
    expect(refusal({ rules: [{ name: "twice", require: 1 }, { name: "once", require: 1 }, { name: "twice", deny: true }] })).toBe(
      'The approval policy FILE (RETIVO_POLICY) names two rules "twice": rule names must be unique.',
    );
  });

  it("reads durations in ms, s, m, h, d or plain seconds, and keeps what is valid", () => {
    const read = readPolicy(
      policyFile({
        principals: { "key:ci": "ci-bot" },
        rules: [
          { name: "a", require: 20, expires_after: "1d", remind_after: "2h", escalate_after: "3h" },
          { name: "b", require: 1, expires_after: 900, remind_after: "1500ms", escalate_after: "2m" },
          { name: "c", deny: true, deny_reason: "never" },
        ],
      }),
    );
    expect(read.principals).toEqual({ "key:ci": "ci-bot" });
    expect(read.rules.map((r) => [r.expires_after, r.remind_after, r.escalate_after])).toEqual([
      [86_400_000, 7_200_000, 10_800_000],
      [900_000, 1500, 120_000],
      [undefined, undefined, undefined],
    ]);
    expect(read.rules[0]!.match).toEqual({});
    expect(policy({ rules: [] }).principals).toEqual({});
  });
});

const SUBJECT: PolicySubject = { action: "approve", dataSet: "live", channel: "email", offers: false, flagged: false, playbookId: "winback", principal: "local" };

describe("the tier a guarded call gets", () => {
  it("keeps one human without a policy, or when no rule matches", () => {
    expect(verdictFor(undefined, SUBJECT)).toEqual(DEFAULT_VERDICT);
    expect(DEFAULT_VERDICT).toEqual({ kind: "tier", rule: null, required: 1, requesterMayApprove: true, ttlMs: null, remindAfterMs: null, escalateAfterMs: null });
    expect(verdictFor(policy(rule({ match: { action: "rollback" }, require: 3 })), SUBJECT)).toEqual(DEFAULT_VERDICT);
  });

  it("takes the first rule that matches, with its times, and defaults the rest", () => {
    const p = policy({
      rules: [
        { name: "tests", match: { data_set: "test" }, require: 1 },
        { name: "big", match: { channel: ["email", "in_app"] }, require: 2, requester_may_approve: false, expires_after: "1h", remind_after: "10m", escalate_after: "20m" },
        { name: "rest", require: 3 },
      ],
    });
    expect(verdictFor(p, SUBJECT)).toEqual({ kind: "tier", rule: "big", required: 2, requesterMayApprove: false, ttlMs: 3_600_000, remindAfterMs: 600_000, escalateAfterMs: 1_200_000 });
    expect(verdictFor(p, { ...SUBJECT, dataSet: "test" })).toMatchObject({ rule: "tests", required: 1 });
    expect(verdictFor(p, { ...SUBJECT, channel: "webhook" })).toEqual({ kind: "tier", rule: "rest", required: 3, requesterMayApprove: true, ttlMs: null, remindAfterMs: null, escalateAfterMs: null });
  });

  it("denies with the rule's reason, or one naming the rule", () => {
    expect(verdictFor(policy(rule({ deny: true, deny_reason: "Not on live data." })), SUBJECT)).toEqual({ kind: "deny", rule: "r", reason: "Not on live data." });
    expect(verdictFor(policy(rule({ deny: true })), SUBJECT)).toEqual({ kind: "deny", rule: "r", reason: `the approval policy's rule "r" refuses it` });
  });

  it("matches on each fact of the call, and only on it", () => {
    const cases: Array<[Record<string, unknown>, Partial<PolicySubject>, Partial<PolicySubject>]> = [
      [{ action: "rollback" }, { action: "rollback" }, { action: "approve" }],
      [{ data_set: "live" }, {}, { dataSet: "test" }],
      [{ channel: "email" }, {}, { channel: "in_app" }],
      [{ offers: true }, { offers: true }, { offers: false }],
      [{ offers: false }, {}, { offers: true }],
      [{ flagged: true }, { flagged: true }, { flagged: false }],
      [{ flagged: false }, {}, { flagged: true }],
      [{ playbook: ["winback", "upsell"] }, { playbookId: "upsell" }, { playbookId: null }],
      [{ playbook: "winback" }, {}, { playbookId: "upsell" }],
      [{ principal: "local" }, {}, { principal: "key:ci" }],
      [{ principal: ["key:ci", "local"] }, { principal: "key:ci" }, { principal: "key:other" }],
    ];
    for (const [match, matching, other] of cases) {
      const p = policy(rule({ match, require: 2 }));
      expect(verdictFor(p, { ...SUBJECT, ...matching }), JSON.stringify(match)).toMatchObject({ rule: "r", required: 2 });
      expect(verdictFor(p, { ...SUBJECT, ...other }), JSON.stringify(match)).toEqual(DEFAULT_VERDICT);
    }
    const both = policy(rule({ match: { action: ["rollback", "approve"] }, require: 2 }));
    expect([verdictFor(both, SUBJECT), verdictFor(both, { ...SUBJECT, action: "rollback" })]).toMatchObject([{ rule: "r" }, { rule: "r" }]);
  });

  it("bars the requester's own operator only when the rule says so and one is known", () => {
    const barred = verdictFor(policy(rule({ require: 2, requester_may_approve: false, remind_after: "1m", escalate_after: "2m" })), SUBJECT);
    const open = verdictFor(policy(rule({ require: 2 })), SUBJECT);
    if (barred.kind !== "tier" || open.kind !== "tier") throw new Error("expected tiers");
    expect(tierOf(barred, "carol")).toEqual({ rule: "r", required: 2, excludedOperator: "carol", remindAfterMs: 60_000, escalateAfterMs: 120_000 });
    expect(tierOf(barred, null)).toMatchObject({ excludedOperator: null });
    expect(tierOf(open, "carol")).toEqual({ rule: "r", required: 2, excludedOperator: null, remindAfterMs: null, escalateAfterMs: null });
  });
});

describe("rules no team could satisfy", () => {
  const team = (...names: string[]) => names.map((name) => ({ name, principal: null }));

  it("names a principal mapped to a missing operator, and a quorum larger than the team", () => {
    const p = policy({
      principals: { local: "carol", "key:ci": "alice" },
      rules: [
        { name: "three", require: 3 },
        { name: "two besides", require: 2, requester_may_approve: false },
        { name: "two", require: 2 },
        { name: "one", require: 1 },
        { name: "no", deny: true },
      ],
    });
    expect(impossibleRules(p, team("alice", "bob"))).toEqual([
      'principals["local"] names operator "carol", who does not exist (retivo-mcp operators add carol)',
      'rule "three" needs 3 distinct operators, but only 2 are configured (retivo-mcp operators add NAME)',
      `rule "two besides" needs 2 distinct operators besides the requester's own, but only 2 are configured (retivo-mcp operators add NAME)`,
    ]);
    expect(impossibleRules(p, team("alice"))).toContain('rule "two" needs 2 distinct operators, but only 1 is configured (retivo-mcp operators add NAME)');
    expect(impossibleRules(p, team("alice", "bob", "carol"))).toEqual([]);
    expect(impossibleRules(policy(rule({ require: 1, requester_may_approve: false })), [])).toEqual([]);
    expect(impossibleRules(policy(rule({ require: 2, requester_may_approve: false })), [])).toEqual([
      `rule "r" needs 2 distinct operators besides the requester's own, but only 0 are configured (retivo-mcp operators add NAME)`,
    ]);
  });

  it("stops the server at start, naming them", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-policy-"));
    const db = join(dir, "retivo.db");
    const store = await openStore({ dbPath: db });
    await store.operators.add(
      { name: "alice", passphrase: "scrypt$unused", principal: null, created_at: new Date().toISOString() },
      { tenant_id: "live", event: "operator_added", actor: "test", detail: { operator: "alice" } },
    );
    await store.close();
    const file = policyFile(rule({ require: 2 }));
    await expect(startHarness({ env: { RETIVO_DB: db, RETIVO_DATA_DIR: dir, RETIVO_POLICY: file } })).rejects.toThrow(
      new ConfigError(
        `The approval policy ${file} (RETIVO_POLICY) has rules no one could ever satisfy:\n  rule "r" needs 2 distinct operators, but only 1 is configured (retivo-mcp operators add NAME)`,
      ),
    );
  });
});
