/**
 * The playbook condition grammar of domain.md, evaluated over one user's facts.
 *
 * Conditions are stored data (hand-edited, imported, or written by an older
 * version), so evaluation never throws: whatever it cannot read counts as a
 * failed condition whose detail says why. Details quote the user's value and
 * the threshold exactly as stored, so reasoning built from them cites only
 * numbers that exist in the inputs.
 */
import type { Customer } from "../../domain/catalog.js";

export const FACT_FIELDS = [
  "lifecycle_stage",
  "activation_score",
  "engagement_score",
  "expansion_score",
  "health",
  "risk_level",
  "days_since_last_activity",
  "days_since_churn",
] as const;
export type FactField = (typeof FACT_FIELDS)[number];

export interface UserFacts {
  lifecycle_stage: string;
  activation_score: number;
  engagement_score: number;
  expansion_score: number;
  health: number;
  risk_level: string;
  /** Whole days; null when the user has never been active. */
  days_since_last_activity: number | null;
  /** Whole days; null when the user never churned. */
  days_since_churn: number | null;
}

export interface ConditionResult {
  passed: boolean;
  /** Names the first failing condition, or what held when it passed. */
  detail: string;
  /**
   * How clearly the condition held, 0..1 (0 when it failed). A numeric bound
   * met exactly counts 0.5 and one met by a wide margin counts 1, so the
   * decision engine can trust a borderline match less.
   */
  fit: number;
}

type Op = "<" | "<=" | ">" | ">=" | "==" | "!=" | "in";
const ORDERING_OPS: readonly Op[] = ["<", "<=", ">", ">="];
const OPS: readonly Op[] = [...ORDERING_OPS, "==", "!=", "in"];
const NEGATED: Record<Op, string> = { "<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", in: "not in" };

/** The distance past a threshold that counts as a clear match, per field kind. */
const CLEAR_MARGIN: Partial<Record<FactField, number>> = {
  activation_score: 0.25,
  engagement_score: 0.25,
  expansion_score: 0.25,
  health: 0.25,
  days_since_last_activity: 14,
  days_since_churn: 14,
};

// Deeper trees are almost certainly corrupt, and recursion must stay bounded.
const MAX_DEPTH = 16;
const DAY_MS = 86_400_000;

export function userFacts(customer: Customer, now: Date): UserFacts {
  return {
    lifecycle_stage: customer.lifecycle_stage,
    activation_score: customer.activation_score,
    engagement_score: customer.engagement_score,
    expansion_score: customer.expansion_score,
    health: customer.health,
    risk_level: customer.risk_level,
    days_since_last_activity: wholeDaysSince(customer.last_activity_at, now),
    days_since_churn: wholeDaysSince(customer.churned_at, now),
  };
}

function wholeDaysSince(iso: string | null, now: Date): number | null {
  if (iso === null) return null;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.floor((now.getTime() - at) / DAY_MS));
}

export function evaluateCondition(condition: unknown, facts: UserFacts): ConditionResult {
  return evaluateNode(condition, facts, 0);
}

/** How many leaf conditions a tree holds: the engine's measure of a playbook's specificity. */
export function countConditions(condition: unknown, depth = 0): number {
  if (!isRecord(condition) || depth > MAX_DEPTH) return 0;
  const children = groupChildren(condition);
  if (children === undefined) return "field" in condition ? 1 : 0;
  if (!Array.isArray(children)) return 0;
  return children.reduce((sum: number, child) => sum + countConditions(child, depth + 1), 0);
}

/** `{all: []}` or `{any: []}`: how a playbook says it has no conditions of a kind. */
export function isEmptyGroup(condition: unknown): boolean {
  if (!isRecord(condition)) return false;
  const children = groupChildren(condition);
  return Array.isArray(children) && children.length === 0;
}

function evaluateNode(node: unknown, facts: UserFacts, depth: number): ConditionResult {
  if (depth > MAX_DEPTH) return failed(`malformed condition: nested deeper than ${MAX_DEPTH} levels`);
  if (!isRecord(node)) return failed(`malformed condition: expected an object, got ${describeValue(node)}`);
  if ("all" in node) return evaluateAll(node.all, facts, depth);
  if ("any" in node) return evaluateAny(node.any, facts, depth);
  return evaluateLeaf(node, facts);
}

function evaluateAll(children: unknown, facts: UserFacts, depth: number): ConditionResult {
  if (!Array.isArray(children)) return failed("malformed condition: 'all' needs a list");
  const results: ConditionResult[] = [];
  for (const child of children) {
    const result = evaluateNode(child, facts, depth + 1);
    if (!result.passed) return result;
    results.push(result);
  }
  if (results.length === 0) return { passed: true, detail: "no conditions", fit: 1 };
  return {
    passed: true,
    detail: results.map((r) => r.detail).join("; "),
    fit: results.reduce((sum, r) => sum + r.fit, 0) / results.length,
  };
}

function evaluateAny(children: unknown, facts: UserFacts, depth: number): ConditionResult {
  if (!Array.isArray(children)) return failed("malformed condition: 'any' needs a list");
  if (children.length === 0) return failed("no alternatives (empty 'any')");
  const results = children.map((child) => evaluateNode(child, facts, depth + 1));
  const passing = results.filter((r) => r.passed);
  if (passing.length === 0) return failed(`none of: ${results.map((r) => r.detail).join("; ")}`);
  const best = passing.reduce((a, b) => (b.fit > a.fit ? b : a));
  return { passed: true, detail: passing[0]!.detail, fit: best.fit };
}

function evaluateLeaf(node: Record<string, unknown>, facts: UserFacts): ConditionResult {
  const { field, op, value } = node;
  if (typeof field !== "string" || !isFactField(field)) {
    return failed(`unknown field ${describeValue(field)} (known: ${FACT_FIELDS.join(", ")})`);
  }
  if (typeof op !== "string" || !OPS.includes(op as Op)) {
    return failed(`malformed condition on ${field}: unknown op ${describeValue(op)}`);
  }
  const actual = facts[field];
  if (op === "in") return evaluateIn(field, actual, value);
  if (op === "==" || op === "!=") return evaluateEquality(field, op, actual, value);
  return evaluateOrdering(field, op as Op, actual, value);
}

function evaluateIn(field: FactField, actual: string | number | null, value: unknown): ConditionResult {
  if (!Array.isArray(value)) return failed(`malformed condition on ${field}: 'in' needs a list`);
  const list = `[${value.map(formatValue).join(", ")}]`;
  if (actual !== null && value.includes(actual)) return held(`${field} ${formatValue(actual)} in ${list}`, 1);
  return failed(`${field} ${formatValue(actual)} not in ${list}`);
}

function evaluateEquality(
  field: FactField,
  op: "==" | "!=",
  actual: string | number | null,
  value: unknown,
): ConditionResult {
  if (value !== null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    return failed(`malformed condition on ${field}: '${op}' needs a single value`);
  }
  const holds = (actual === value) === (op === "==");
  const detail = (shownOp: string) => `${field} ${formatValue(actual)} ${shownOp} ${formatValue(value)}`;
  return holds ? held(detail(op), 1) : failed(detail(NEGATED[op]));
}

function evaluateOrdering(field: FactField, op: Op, actual: string | number | null, value: unknown): ConditionResult {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return failed(`malformed condition on ${field}: '${op}' needs a number`);
  }
  if (actual === null) return failed(`${field} is unknown for this user (needs ${op} ${formatValue(value)})`);
  if (typeof actual !== "number") return failed(`malformed condition: ${field} is not a number`);
  const holds =
    op === "<" ? actual < value : op === "<=" ? actual <= value : op === ">" ? actual > value : actual >= value;
  if (!holds) return failed(`${field} ${formatValue(actual)} ${NEGATED[op]} ${formatValue(value)}`);
  const clearMargin = CLEAR_MARGIN[field] ?? 1;
  const margin = Math.min(1, Math.abs(actual - value) / clearMargin);
  return held(`${field} ${formatValue(actual)} ${op} ${formatValue(value)}`, 0.5 + 0.5 * margin);
}

function groupChildren(node: Record<string, unknown>): unknown {
  if ("all" in node) return node.all;
  if ("any" in node) return node.any;
  return undefined;
}

function held(detail: string, fit: number): ConditionResult {
  return { passed: true, detail, fit };
}

function failed(detail: string): ConditionResult {
  return { passed: false, detail, fit: 0 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFactField(field: string): field is FactField {
  return (FACT_FIELDS as readonly string[]).includes(field);
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "unknown";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return `'${value.slice(0, 64)}'`;
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? "a list" : typeof value;
}
