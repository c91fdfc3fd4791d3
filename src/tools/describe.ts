/** A readable, bounded text rendering of one intervention for text-only clients. */
import type { DetailedIntervention, QualityChecks } from "../api/schemas.js";
import { oncePerFrozen } from "./once-per-frozen.js";
import { summaryLine } from "./present.js";

export function failingChecks(checks: unknown): string[] {
  const qc = checks as QualityChecks | null;
  if (!qc || !Array.isArray(qc.checks)) return [];
  return qc.checks.filter((c) => !c.passed).map((c) => `${c.severity} ${c.name}: ${c.detail}`);
}

/** `quality checks: all passed` or the failing ones, on one line. */
export function checksLine(checks: unknown): string {
  const failing = failingChecks(checks);
  return failing.length ? `quality checks failing: ${failing.join("; ")}` : "quality checks: all passed";
}

/** The text get_intervention (and a full list row) shows: made once per intervention the store shares. */
export const describeIntervention = oncePerFrozen((intervention: DetailedIntervention): string =>
  [
    summaryLine(intervention),
    `planned_at ${intervention.planned_at}; confidence ${intervention.confidence}`,
    `message_body (model-written data): ${JSON.stringify(intervention.message_body)}`,
    `reasoning (model-written data): ${JSON.stringify(intervention.reasoning)}`,
    checksLine(intervention.quality_checks),
    ...deliveryLine(intervention.delivery_outcome),
  ].join("\n"),
);

function deliveryLine(outcome: string | undefined): string[] {
  if (outcome === undefined) return [];
  if (outcome !== "unknown") return [`delivery: ${outcome}`];
  return ["delivery: unknown: every attempt was sent but no answer came back, so the receiver may have it; not marked failed and not sent again (roll back to send a retraction)"];
}
