/**
 * The plain-text account of a request, for the terminal and the in-client
 * form, rendered from the one request view (request-view.ts) so every channel
 * states the same facts. It is laid out to a width we choose (text-layout.ts):
 * model text sits behind a gutter on every row and long fields continue on
 * indented rows, so nothing a model or an agent wrote can start a line where
 * a fact line starts. Fact labels are ours; every value passes the sanitizer.
 */
import type { ApprovalRow } from "../store/index.js";
import { requestViewOf, type RequestView } from "./request-view.js";
import { oneLine } from "../text/sanitize.js";
import { fieldLine, gutterBlock, ownLine } from "./text-layout.js";

/** Wide enough to read, narrow enough for any client dialog and an 80-column terminal. */
export const TEXT_WIDTH = 78;
const REASON_MAX = 5000;

export interface TextOptions {
  width?: number;
  /** The recipient's address is shown on human-only surfaces (CLI, page), never in the form the agent's client relays. */
  showAddress?: boolean;
}

export function headlineOf(view: RequestView, showAddress = false): string {
  const to = recipientText(view, showAddress);
  return view.action === "approve"
    ? `APPROVE intervention ${oneLine(view.interventionId, 40)}: ${view.title.toLowerCase()} to ${to}`
    : `ROLL BACK intervention ${oneLine(view.interventionId, 40)}: ${view.title.toLowerCase()} sent to ${to}`;
}

/** The request's one-line headline, for a URL elicitation's message. */
export function headline(row: ApprovalRow): string {
  return headlineOf(requestViewOf(row));
}

function recipientText(view: RequestView, showAddress: boolean): string {
  const { name, address, userId } = view.recipient;
  const who = name ? oneLine(name, 80) : `user ${oneLine(userId, 80)}`;
  const where = showAddress && address ? ` <${oneLine(address, 120)}>` : "";
  return name ? `${who}${where} (user ${oneLine(userId, 80)})` : `${who}${where}`;
}

function verdictLines(view: RequestView, width: number): string[] {
  const label = view.verdict.tone === "danger" ? "" : "Verdict: ";
  return [...ownLine(`${label}${view.verdict.headline}`, width), ...view.verdict.reasons.flatMap((reason) => fieldLine("  - ", reason, width, REASON_MAX))];
}

function checkLines(view: RequestView, width: number): string[] {
  if (!view.checks) return ["Quality checks: none recorded"];
  const failed = view.checks.some((c) => !c.passed && c.severity === "error");
  const summary = failed ? "FAILED" : view.flagged ? "no failed check, but the intervention is FLAGGED (see above)" : "passed";
  return [
    `Quality checks: ${summary}`,
    ...view.checks.flatMap((c) => fieldLine(`  - ${c.passed ? "ok  " : c.severity === "error" ? "FAIL" : "warn"} ${oneLine(c.name, 40)} (${oneLine(c.severity, 10)}): `, c.detail, width)),
  ];
}

/** The whole request: verdict first, then what the recipient gets, timing, who asked, checks, reasoning. */
export function describeView(view: RequestView, options: TextOptions = {}): string {
  const width = options.width ?? TEXT_WIDTH;
  const lines = [
    ...ownLine(headlineOf(view, options.showAddress), width),
    "",
    ...verdictLines(view, width),
    "",
    ...(view.subject !== null ? fieldLine("Subject: ", view.subject, width, 500) : []),
    ...ownLine(`Message body, as the recipient will see it (written by ${view.writtenBy}; data to review, not instructions):`, width),
    ...gutterBlock(view.body, width),
    "",
    ...view.timing.flatMap((t) => ownLine(`${t.label}: ${t.text}`, width)),
    ...ownLine(`Request expires ${view.expiresIn}`, width),
    ...fieldLine("Requested by: ", `${view.requestedBy} (an AI agent's client)`, width),
    ...(view.action === "rollback" ? fieldLine("Rollback reason given by the agent: ", view.statedReason ?? "(none)", width, REASON_MAX) : []),
    ...checkLines(view, width),
    ...ownLine(`Model reasoning (model output, unverified; confidence ${view.confidence}):`, width),
    ...gutterBlock(view.reasoning, width),
    "",
    ...ownLine(`Intervention: ${oneLine(view.interventionId, 40)} (status ${oneLine(view.status, 20)}, version ${view.version ?? "n/a"}), approval ${view.approvalId}`, width),
    ...ownLine(`Action hash: ${view.actionHash}`, width),
  ];
  return lines.join("\n");
}

/**
 * What must be on the last screen before the question, at 80x24: what happens,
 * to whom, the verdict and its first reasons, and the times.
 */
export function summaryLines(view: RequestView, width: number, showAddress = true): string[] {
  const reasons = view.verdict.reasons.slice(0, 3).flatMap((reason) => fieldLine("  - ", reason, width, 300));
  return [
    "─".repeat(Math.min(width, 40)),
    ...ownLine(headlineOf(view, showAddress), width),
    ...ownLine(view.verdict.tone === "danger" ? view.verdict.headline : `Verdict: ${view.verdict.headline}`, width),
    ...reasons,
    ...view.timing.flatMap((t) => ownLine(`${t.label}: ${t.text}`, width)),
    ...ownLine(`Request expires ${view.expiresIn}`, width),
  ];
}

/** The description of a stored request for the form (no address) and for `approvals show`. */
export function describeApprovalRow(row: ApprovalRow, options: TextOptions = {}): string {
  return describeView(requestViewOf(row), options);
}
