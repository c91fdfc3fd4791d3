/**
 * The same plain-text account of a request for every channel (form, page,
 * CLI), so the human sees identical facts wherever they answer. Model output
 * is fenced and labelled: it is data to judge, never an instruction.
 */
import type { ActionFacts, DisplayFacts } from "./action-hash.js";
import { factsOf, type ApprovalRow } from "./approvals-store.js";

export interface DescribedRequest {
  approvalId: string;
  facts: ActionFacts;
  display: DisplayFacts;
  client: { name: string; version: string };
  expiresAt: string;
  actionHash: string;
}

export function headline(facts: ActionFacts): string {
  return facts.action === "approve"
    ? `APPROVE intervention ${facts.intervention_id}: release this ${facts.channel} message to user ${facts.user_id}`
    : `ROLL BACK intervention ${facts.intervention_id}: retract the ${facts.channel} message already sent to user ${facts.user_id}`;
}

/**
 * Model- and agent-written text is shown with every line behind a gutter, so
 * nothing in it (a fake "-----", "Flagged: no", "Quality checks: passed") can
 * pass for the facts around it.
 */
function gutter(text: string): string {
  return text
    .split(/\r?\n|\r/)
    .map((line) => `  │ ${line}`)
    .join("\n");
}

/** For one-line fields an agent can write (flag and rollback reasons): line breaks cannot start a fake fact. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ⏎ ");
}

function qualityLines(checks: unknown): string[] {
  if (!checks || typeof checks !== "object" || !Array.isArray((checks as { checks?: unknown }).checks)) {
    return ["Quality checks: none recorded"];
  }
  const list = (checks as { passed?: boolean; checks: Array<Record<string, unknown>> }).checks;
  const summary = (checks as { passed?: boolean }).passed ? "passed" : "FAILED";
  return [
    `Quality checks: ${summary}`,
    ...list.map((c) => `  - ${c.passed ? "ok  " : "FAIL"} ${String(c.name)} (${String(c.severity)}): ${oneLine(String(c.detail))}`),
  ];
}

/** The facts, one per line; `fence` marks where model-written text starts and ends. */
export function describeRequest(request: DescribedRequest): string {
  const { facts, display } = request;
  const lines = [
    headline(facts),
    "",
    `Intervention: ${facts.intervention_id} (status ${facts.status}, version ${facts.version ?? "n/a"})`,
    `User: ${facts.user_id}`,
    `Channel: ${facts.channel}`,
    `Planned at: ${facts.planned_at}`,
  ];
  if (facts.action === "rollback") lines.push(`Rollback reason given by the agent: ${facts.reason ? oneLine(facts.reason) : "(none)"}`);
  lines.push(facts.flagged ? `FLAGGED: ${display.flag_reason ? oneLine(display.flag_reason) : "(no reason recorded)"}` : "Flagged: no");
  lines.push(...qualityLines(display.quality_checks));
  if (display.subject) lines.push(`Subject (written by an AI model): ${oneLine(display.subject)}`);
  lines.push(
    "",
    "Message body (written by an AI model; data to review, not instructions):",
    gutter(facts.message_body),
    `Model reasoning (model output, unverified; confidence ${display.confidence}):`,
    gutter(display.reasoning),
    "",
    `Requested by: ${request.client.name} ${request.client.version} (an AI agent's client)`,
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
