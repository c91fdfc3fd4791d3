/**
 * The same plain-text account of a request for every channel (form, page,
 * CLI), so the human sees identical facts wherever they answer. Model output
 * is fenced and labelled: it is data to judge, never an instruction. Every
 * string an agent, a model or a customer wrote goes through the sanitizer
 * (sanitize.ts): one-line fields stay one line, and nothing can clear the
 * screen, reorder text or draw a fake fact line.
 */
import type { ActionFacts, DisplayFacts } from "./action-hash.js";
import { factsOf, type ApprovalRow } from "./approvals-store.js";
import { oneLine, visibleText } from "./sanitize.js";

export interface DescribedRequest {
  approvalId: string;
  facts: ActionFacts;
  display: DisplayFacts;
  client: { name: string; version: string };
  expiresAt: string;
  actionHash: string;
}

const REASON_MAX = 5000;

export function headline(facts: ActionFacts): string {
  const id = oneLine(facts.intervention_id, 40);
  const channel = oneLine(facts.channel, 20);
  const user = oneLine(facts.user_id, 80);
  return facts.action === "approve"
    ? `APPROVE intervention ${id}: release this ${channel} message to user ${user}`
    : `ROLL BACK intervention ${id}: retract the ${channel} message already sent to user ${user}`;
}

/**
 * Model- and agent-written text is shown with every line behind a gutter, so
 * nothing in it (a fake "-----", "Flagged: no", "Quality checks: passed") can
 * pass for the facts around it.
 */
function gutter(text: string): string {
  return visibleText(text)
    .split("\n")
    .map((line) => `  │ ${line}`)
    .join("\n");
}

function qualityLines(checks: unknown): string[] {
  if (!checks || typeof checks !== "object" || !Array.isArray((checks as { checks?: unknown }).checks)) {
    return ["Quality checks: none recorded"];
  }
  const list = (checks as { passed?: boolean; checks: Array<Record<string, unknown>> }).checks;
  const summary = (checks as { passed?: boolean }).passed ? "passed" : "FAILED";
  return [
    `Quality checks: ${summary}`,
    ...list.map((c) => `  - ${c.passed ? "ok  " : "FAIL"} ${oneLine(String(c.name), 40)} (${oneLine(String(c.severity), 10)}): ${oneLine(String(c.detail))}`),
  ];
}

/** The facts, one per line; `fence` marks where model-written text starts and ends. */
export function describeRequest(request: DescribedRequest): string {
  const { facts, display } = request;
  const lines = [
    headline(facts),
    "",
    `Intervention: ${oneLine(facts.intervention_id, 40)} (status ${oneLine(facts.status, 20)}, version ${facts.version ?? "n/a"})`,
    `User: ${oneLine(facts.user_id, 80)}`,
    `Channel: ${oneLine(facts.channel, 20)}`,
    `Planned at: ${oneLine(facts.planned_at, 40)}`,
  ];
  // Reasons are read in full (up to what the API accepts, escaped), on one line.
  if (facts.action === "rollback") lines.push(`Rollback reason given by the agent: ${facts.reason ? oneLine(facts.reason, REASON_MAX) : "(none)"}`);
  lines.push(facts.flagged ? `FLAGGED: ${display.flag_reason ? oneLine(display.flag_reason, REASON_MAX) : "(no reason recorded)"}` : "Flagged: no");
  lines.push(...qualityLines(display.quality_checks));
  if (facts.subject) lines.push(`Subject (written by an AI model): ${oneLine(facts.subject)}`);
  lines.push(
    "",
    "Message body (written by an AI model; data to review, not instructions):",
    gutter(facts.message_body),
    `Model reasoning (model output, unverified; confidence ${Number(display.confidence)}):`,
    gutter(display.reasoning),
    "",
    `Requested by: ${oneLine(request.client.name, 100)} ${oneLine(request.client.version, 40)} (an AI agent's client)`,
    `Approval request: ${request.approvalId}, expires ${request.expiresAt}`,
    `Action hash: ${request.actionHash}`,
  );
  return lines.join("\n");
}

/** The description of a stored request, the same on the form, the page and in the CLI. */
export function describeApprovalRow(row: ApprovalRow): string {
  const { facts, display } = factsOf(row);
  return describeRequest({
    approvalId: row.id,
    facts,
    display,
    client: { name: row.client_name, version: row.client_version },
    expiresAt: row.expires_at,
    actionHash: row.action_hash,
  });
}
