import { describe, expect, it } from "vitest";
import type { Customer } from "../../src/domain/catalog.js";
import { countConditions, evaluateCondition, userFacts, type UserFacts } from "../../src/backend/local/conditions.js";

const facts: UserFacts = {
  lifecycle_stage: "active",
  activation_score: 0.9,
  engagement_score: 0.65,
  expansion_score: 0.42,
  health: 0.7,
  risk_level: "medium",
  days_since_last_activity: 3,
  days_since_churn: null,
};

describe("evaluateCondition: leaves", () => {
  it.each([
    ["<", 0.5, true, "expansion_score 0.42 < 0.5"],
    ["<", 0.42, false, "expansion_score 0.42 >= 0.42"],
    ["<=", 0.42, true, "expansion_score 0.42 <= 0.42"],
    ["<=", 0.4, false, "expansion_score 0.42 > 0.4"],
    [">", 0.4, true, "expansion_score 0.42 > 0.4"],
    [">", 0.42, false, "expansion_score 0.42 <= 0.42"],
    [">=", 0.42, true, "expansion_score 0.42 >= 0.42"],
    [">=", 0.7, false, "expansion_score 0.42 < 0.7"],
    ["==", 0.42, true, "expansion_score 0.42 == 0.42"],
    ["==", 0.5, false, "expansion_score 0.42 != 0.5"],
    ["!=", 0.5, true, "expansion_score 0.42 != 0.5"],
    ["!=", 0.42, false, "expansion_score 0.42 == 0.42"],
  ] as const)("expansion_score %s %s → %s", (op, value, passed, detail) => {
    const result = evaluateCondition({ field: "expansion_score", op, value }, facts);
    expect(result).toMatchObject({ passed, detail });
  });

  it("compares strings with == and in", () => {
    expect(evaluateCondition({ field: "lifecycle_stage", op: "==", value: "active" }, facts).passed).toBe(true);
    expect(evaluateCondition({ field: "risk_level", op: "in", value: ["high", "critical"] }, facts)).toEqual({
      passed: false,
      detail: "risk_level medium not in [high, critical]",
      fit: 0,
    });
    expect(evaluateCondition({ field: "risk_level", op: "in", value: ["medium", "high"] }, facts)).toMatchObject({
      passed: true,
      detail: "risk_level medium in [medium, high]",
    });
  });

  it("fails an ordering on a fact the user does not have, and says so", () => {
    const result = evaluateCondition({ field: "days_since_churn", op: ">=", value: 7 }, facts);
    expect(result.passed).toBe(false);
    expect(result.detail).toBe("days_since_churn is unknown for this user (needs >= 7)");
  });

  it("treats a missing fact as not equal and not in a list", () => {
    expect(evaluateCondition({ field: "days_since_churn", op: "==", value: 7 }, facts).passed).toBe(false);
    expect(evaluateCondition({ field: "days_since_churn", op: "!=", value: 7 }, facts).passed).toBe(true);
    expect(evaluateCondition({ field: "days_since_churn", op: "in", value: [7, null] }, facts).passed).toBe(false);
  });

  it("scores a borderline match lower than a clear one", () => {
    const borderline = evaluateCondition({ field: "engagement_score", op: ">=", value: 0.65 }, facts);
    const clear = evaluateCondition({ field: "engagement_score", op: ">=", value: 0.3 }, facts);
    expect(borderline.fit).toBe(0.5);
    expect(clear.fit).toBe(1);
    expect(evaluateCondition({ field: "lifecycle_stage", op: "==", value: "active" }, facts).fit).toBe(1);
  });
});

describe("evaluateCondition: groups", () => {
  const upsell = {
    all: [
      { field: "lifecycle_stage", op: "==", value: "active" },
      { field: "expansion_score", op: ">=", value: 0.7 },
      { field: "engagement_score", op: ">=", value: 0.6 },
    ],
  };

  it("names the first failing condition of an all", () => {
    expect(evaluateCondition(upsell, facts)).toEqual({ passed: false, detail: "expansion_score 0.42 < 0.7", fit: 0 });
  });

  it("lists what held when an all passes, and averages the fit", () => {
    const result = evaluateCondition(upsell, { ...facts, expansion_score: 0.95 });
    expect(result.passed).toBe(true);
    expect(result.detail).toBe("lifecycle_stage active == active; expansion_score 0.95 >= 0.7; engagement_score 0.65 >= 0.6");
    expect(result.fit).toBeCloseTo((1 + 1 + (0.5 + 0.5 * (0.05 / 0.25))) / 3, 10);
  });

  it("passes an any on one alternative and fails it naming all of them", () => {
    const any = {
      any: [
        { field: "engagement_score", op: "<", value: 0.35 },
        { field: "risk_level", op: "in", value: ["high", "critical"] },
      ],
    };
    expect(evaluateCondition(any, facts)).toEqual({
      passed: false,
      detail: "none of: engagement_score 0.65 >= 0.35; risk_level medium not in [high, critical]",
      fit: 0,
    });
    expect(evaluateCondition(any, { ...facts, risk_level: "critical" })).toMatchObject({
      passed: true,
      detail: "risk_level critical in [high, critical]",
    });
  });

  it("nests", () => {
    const nested = {
      all: [
        { field: "lifecycle_stage", op: "in", value: ["active", "at_risk"] },
        { any: [{ field: "health", op: "<", value: 0.3 }, { all: [{ field: "days_since_last_activity", op: ">=", value: 3 }] }] },
      ],
    };
    expect(evaluateCondition(nested, facts).passed).toBe(true);
    expect(evaluateCondition(nested, { ...facts, days_since_last_activity: 1 })).toMatchObject({
      passed: false,
      detail: "none of: health 0.7 >= 0.3; days_since_last_activity 1 < 3",
    });
  });

  it("passes an empty all and fails an empty any", () => {
    expect(evaluateCondition({ all: [] }, facts).passed).toBe(true);
    expect(evaluateCondition({ any: [] }, facts)).toMatchObject({ passed: false, detail: "no alternatives (empty 'any')" });
  });
});

describe("evaluateCondition: stored data it cannot read", () => {
  it.each([
    [{ field: "mrr", op: ">", value: 100 }, /^unknown field 'mrr'/],
    [{ field: "health", op: "~", value: 1 }, /unknown op '~'/],
    [{ field: "health", op: ">", value: "high" }, /'>' needs a number/],
    [{ field: "risk_level", op: ">", value: 2 }, /risk_level is not a number/],
    [{ field: "risk_level", op: "in", value: "high" }, /'in' needs a list/],
    [{ field: "risk_level", op: "==", value: ["high"] }, /'==' needs a single value/],
    [{ all: "nope" }, /'all' needs a list/],
    [{ any: null }, /'any' needs a list/],
    [null, /expected an object, got null/],
    [[1, 2], /expected an object, got a list/],
    ["health > 0.5", /expected an object/],
  ])("%j fails without throwing", (condition, detail) => {
    const result = evaluateCondition(condition, facts);
    expect(result.passed).toBe(false);
    expect(result.fit).toBe(0);
    expect(result.detail).toMatch(detail);
  });

  it("fails a tree nested too deep instead of overflowing", () => {
    let deep: unknown = { field: "health", op: ">", value: 0 };
    for (let i = 0; i < 40; i++) deep = { all: [deep] };
    expect(evaluateCondition(deep, facts)).toMatchObject({ passed: false, detail: expect.stringMatching(/nested deeper/) });
  });

  it("fails a malformed branch inside an otherwise valid any only if no other branch holds", () => {
    const any = { any: [{ field: "nope", op: "==", value: 1 }, { field: "health", op: ">", value: 0.5 }] };
    expect(evaluateCondition(any, facts).passed).toBe(true);
  });
});

describe("countConditions", () => {
  it("counts leaves at any depth and nothing in malformed nodes", () => {
    expect(countConditions({ all: [{ field: "a", op: "==", value: 1 }, { any: [{ field: "b" }, { field: "c" }] }] })).toBe(3);
    expect(countConditions({ any: [] })).toBe(0);
    expect(countConditions({ all: "x" })).toBe(0);
    expect(countConditions(null)).toBe(0);
  });
});

describe("userFacts", () => {
  const customer: Customer = {
    id: "user-1",
    name: "Dana Kowalski",
    email: "dana@example.com",
    company: null,
    role: null,
    team_size: null,
    locale: "en",
    lifecycle_stage: "churned",
    activation_score: 0.5,
    engagement_score: 0.05,
    expansion_score: 0.1,
    health: 0.2,
    risk_level: "critical",
    opted_out: false,
    paused: false,
    last_activity_at: "2026-01-01T00:00:00.000Z",
    churned_at: "2026-01-20T18:00:00.000Z",
    created_at: "2025-01-01T00:00:00.000Z",
  };

  it("counts whole days since last activity and churn", () => {
    const now = new Date("2026-01-31T12:00:00.000Z");
    expect(userFacts(customer, now)).toEqual({
      lifecycle_stage: "churned",
      activation_score: 0.5,
      engagement_score: 0.05,
      expansion_score: 0.1,
      health: 0.2,
      risk_level: "critical",
      days_since_last_activity: 30,
      days_since_churn: 10,
    });
  });

  it("reports null when there is no timestamp, and never a negative age", () => {
    const facts = userFacts({ ...customer, churned_at: null, last_activity_at: "2026-02-05T00:00:00.000Z" }, new Date("2026-02-01T00:00:00.000Z"));
    expect(facts.days_since_churn).toBeNull();
    expect(facts.days_since_last_activity).toBe(0);
  });
});
