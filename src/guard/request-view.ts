/**
 * One request as a human must see it, built once and rendered three ways (the
 * page, the terminal, the form): a verdict in plain words first, what the
 * recipient gets (subject, body, to whom), when it goes out and how long the
 * request is open, who asked and why, the checks, then the model's reasoning.
 * Every string here is still raw: each renderer sanitizes where it places it,
 * so model text can only ever land inside the box drawn for it.
 */
import type { ActionFacts, DisplayFacts, Recipient } from "../domain/action-hash.js";
import { factsOf, type ApprovalRow } from "../store/index.js";
import { rollbackEffect } from "./outcome-text.js";
import { flagReasonsInWords, when, writtenBy, type ProvenanceLike } from "./plain-words.js";

export interface CheckView {
  name: string;
  passed: boolean;
  severity: string;
  detail: string;
}

export type Tone = "danger" | "warn" | "ok";

export interface RequestView {
  approvalId: string;
  action: ActionFacts["action"];
  /** "Release this email" / "Roll back this in-app message". */
  title: string;
  interventionId: string;
  channel: string;
  status: string;
  version: number | null;
  verdict: { tone: Tone; headline: string; reasons: string[] };
  recipient: { userId: string; name: string | null; address: string | null };
  subject: string | null;
  body: string;
  writtenBy: string;
  reasoning: string;
  confidence: number;
  /** For approve: when it goes out. For rollback: when it was sent and delivered. */
  timing: { label: string; text: string }[];
  expiresAt: string;
  expiresIn: string;
  expired: boolean;
  requestedBy: string;
  /** The agent's stated reason (a rollback's), if it gave one. */
  statedReason: string | null;
  flagged: boolean;
  checks: CheckView[] | null;
  actionHash: string;
}

function checksOf(qualityChecks: unknown): CheckView[] | null {
  const list = (qualityChecks as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(list)) return null;
  return list.map((c: Record<string, unknown>) => ({ name: String(c.name), passed: c.passed === true, severity: String(c.severity), detail: String(c.detail) }));
}

function verdictOf(facts: ActionFacts, display: DisplayFacts, checks: CheckView[] | null, now: Date, timeZone?: string): RequestView["verdict"] {
  const failedErrors = (checks ?? []).filter((c) => !c.passed && c.severity === "error");
  const warnings = (checks ?? []).filter((c) => !c.passed && c.severity !== "error");
  if (facts.flagged || failedErrors.length > 0) {
    const reasons = facts.flagged ? flagReasonsInWords(display.flag_reason, now, timeZone) : [];
    for (const check of failedErrors) if (!reasons.some((r) => r.includes(`(${check.name})`))) reasons.push(`Quality check failed (${check.name}): ${check.detail}`);
    return { tone: "danger", headline: facts.flagged ? "FLAGGED: read why before approving" : "A required quality check FAILED", reasons };
  }
  if (facts.action === "rollback") {
    return { tone: facts.channel === "email" ? "warn" : "ok", headline: `Rolling back: ${rollbackEffect(facts.channel)}.`, reasons: [] };
  }
  if (checks === null) return { tone: "warn", headline: "No quality checks recorded for this message: read it yourself", reasons: [] };
  const note = warnings.length ? [`${warnings.length} warning${warnings.length === 1 ? "" : "s"}: ${warnings.map((w) => w.name).join(", ")}`] : [];
  return { tone: "ok", headline: "Every required quality check passed; not flagged", reasons: note };
}

function recipientOf(facts: ActionFacts, recipient: Recipient | null | undefined): RequestView["recipient"] {
  return { userId: facts.user_id, name: recipient?.name ?? null, address: recipient?.address ?? null };
}

function timingOf(facts: ActionFacts, display: DisplayFacts, now: Date, timeZone?: string): RequestView["timing"] {
  if (facts.action === "rollback") {
    return [
      { label: "Sent", text: display.sent_at ? when(display.sent_at, now, timeZone) : "not recorded" },
      { label: "Delivered", text: display.delivered_at ? when(display.delivered_at, now, timeZone) : "not confirmed" },
    ];
  }
  const planned = Date.parse(facts.planned_at);
  const text =
    Number.isNaN(planned) || planned <= now.getTime()
      ? `as soon as it is approved (it was planned for ${when(facts.planned_at, now, timeZone)})`
      : when(facts.planned_at, now, timeZone);
  return [{ label: "Goes out", text }];
}

export function requestViewOf(row: ApprovalRow, now = new Date(), timeZone?: string): RequestView {
  const { facts, display } = factsOf(row);
  const checks = checksOf(display.quality_checks);
  const channelNoun = facts.channel === "in_app" ? "in-app message" : facts.channel === "webhook" ? "webhook message" : facts.channel;
  return {
    approvalId: row.id,
    action: facts.action,
    title: facts.action === "approve" ? `Release this ${channelNoun}` : `Roll back this ${channelNoun}`,
    interventionId: facts.intervention_id,
    channel: facts.channel,
    status: facts.status,
    version: facts.version,
    verdict: verdictOf(facts, display, checks, now, timeZone),
    recipient: recipientOf(facts, display.recipient),
    subject: facts.subject,
    body: facts.message_body,
    writtenBy: writtenBy(display.provenance as ProvenanceLike | null | undefined),
    reasoning: display.reasoning,
    confidence: Number(display.confidence),
    timing: timingOf(facts, display, now, timeZone),
    expiresAt: row.expires_at,
    expiresIn: when(row.expires_at, now, timeZone),
    expired: Date.parse(row.expires_at) <= now.getTime(),
    requestedBy: `${row.client_name} ${row.client_version}`,
    statedReason: facts.action === "rollback" ? facts.reason : null,
    flagged: facts.flagged,
    checks,
    actionHash: row.action_hash,
  };
}
