/**
 * The text of a dry-run answer, for clients that forward only text to their
 * model: the decision with the playbook by name, which rules failed (with
 * why) and which held, and the drafted message with its checks when a
 * preview was asked for. Rules are the API's `{ passed, detail }` map; any
 * other shape is counted as neither, never guessed at.
 */
import { oneLine } from "../api/compact.js";
import type { DryRunResponse } from "../api/schemas.js";
import { DraftPreviewSchema, type DraftPreview } from "../writer/preview.js";
import { checksLine } from "./describe.js";

/** Rule details are one line each and short: a dry-run evaluates every active playbook. */
const RULE_DETAIL_CHARS = 140;

interface Rule {
  passed: boolean;
  detail?: string;
}

function isRule(value: unknown): value is Rule {
  return typeof value === "object" && value !== null && typeof (value as Rule).passed === "boolean";
}

function decisionLine(result: DryRunResponse, userId: string): string {
  const { decision } = result;
  const name = typeof decision.playbook_name === "string" ? `"${oneLine(decision.playbook_name, 80)}" ` : "";
  const playbook = decision.playbook_id ? `, playbook ${name}(${decision.playbook_id})` : "";
  const channel = decision.channel ? ` via ${decision.channel}` : "";
  const confidence = decision.action === "intervene" || decision.action === "escalate" ? `, confidence ${decision.confidence}` : "";
  const reason = decision.reason ? ` (reason ${decision.reason})` : "";
  return `Decision for ${userId}: ${decision.action}${channel}${playbook}${confidence}${reason}. Nothing was saved.`;
}

function rulesLines(rules: Record<string, unknown>): string[] {
  const entries = Object.entries(rules).filter((entry): entry is [string, Rule] => isRule(entry[1]));
  const failed = entries.filter(([, rule]) => !rule.passed);
  const held = entries.filter(([, rule]) => rule.passed).map(([name]) => name);
  const lines: string[] = [];
  if (failed.length) {
    const described = failed.map(([name, rule]) => (rule.detail ? `${name} (${oneLine(rule.detail, RULE_DETAIL_CHARS)})` : name));
    lines.push(`Rules failed: ${described.join("; ")}`);
  }
  if (held.length) lines.push(`Rules held: ${held.join(", ")}`);
  return lines;
}

function previewLines(preview: DraftPreview): string[] {
  const where = preview.source === "local_preview" ? "drafted here without the tenant's brand context, " : "";
  const subject = preview.subject ? `subject ${JSON.stringify(preview.subject)}, ` : "";
  return [
    `Draft (${where}model-written data, not saved): ${subject}message_body ${JSON.stringify(preview.message_body)}`,
    checksLine(preview.quality_checks),
    preview.flagged ? `A create now would be flagged: ${oneLine(preview.flag_reason ?? "", 200)}` : "A create now would not be flagged.",
  ];
}

export function dryRunText(result: DryRunResponse, userId: string): string {
  const lines = [decisionLine(result, userId), ...rulesLines(result.rules)];
  if (result.preview !== undefined) {
    // Ours always parses; a remote API's own preview may have another shape, which the text does not guess at.
    const preview = DraftPreviewSchema.safeParse(result.preview);
    lines.push(...(preview.success ? previewLines(preview.data) : ["A preview came back in a shape this server does not know: read structuredContent.preview."]));
  }
  return lines.join("\n");
}
