/**
 * The JSON body of one approval webhook notice, shaped so a Slack or Teams
 * workflow can relay it as it is: a short `text` line a chat shows (what,
 * which intervention, the tier, the page link), and the same facts as
 * structured fields for a workflow that builds its own card and posts a
 * decision back to `decisions_url`. Every string that came from an agent or
 * a model (client name, outcome, rule names carry through the store) passes
 * the sanitizer here once more, one line each, so nothing in it can pose as
 * a line of its own in the chat.
 */
import { oneLine } from "../text/sanitize.js";

/**
 * What this sink reads of a notice: the fields of the guard's ApprovalNotice
 * (notices.ts), stated structurally so the sink plugs into that sink list.
 */
export interface NoticeToRelay {
  kind: "requested" | "reminder" | "escalation" | "outcome";
  request: {
    approval_id: string;
    action: string;
    intervention_id: string;
    channel: string;
    status: string;
    requested_by: string;
    tier: string;
    required: number;
    given: string[];
    eligible: string[];
    rule: string | null;
    expires_at: string;
    outcome: string | null;
  };
  pageUrl?: string;
  at: string;
}

export interface ApprovalWebhookPayload {
  type: `approval.${NoticeToRelay["kind"]}`;
  delivery_id: string;
  text: string;
  approval: {
    id: string;
    action: string;
    intervention_id: string;
    channel: string;
    status: string;
    requested_by: string;
    tier: string;
    required: number;
    given: string[];
    eligible: string[];
    rule: string | null;
    expires_at: string;
    outcome: string | null;
  };
  page_url: string | null;
  decisions_url: string | null;
  at: string;
}

const HEADLINE: Record<NoticeToRelay["kind"], string> = {
  requested: "Approval needed",
  reminder: "Reminder: approval still needed",
  escalation: "Escalated: approval still needed",
  outcome: "Approval decided",
};

const one = (text: string, max: number) => oneLine(text, max);

export function webhookPayloadOf(notice: NoticeToRelay, deliveryId: string, publicUrl: string | undefined): ApprovalWebhookPayload {
  const r = notice.request;
  const id = one(r.approval_id, 60);
  const what = `${one(r.action, 20)} of ${one(r.intervention_id, 60)} (${one(r.channel, 20)})`;
  const state = notice.kind === "outcome" ? `${one(r.status, 20)}${r.outcome ? `: ${one(r.outcome, 200)}` : ""}` : `${one(r.tier, 300)}; expires ${one(r.expires_at, 40)}`;
  const link = notice.pageUrl ? ` Open: ${one(notice.pageUrl, 1000)}` : "";
  return {
    type: `approval.${notice.kind}`,
    delivery_id: deliveryId,
    text: `${HEADLINE[notice.kind]}: ${what}, ${state}.${link}`,
    approval: {
      id,
      action: one(r.action, 20),
      intervention_id: one(r.intervention_id, 60),
      channel: one(r.channel, 20),
      status: one(r.status, 20),
      requested_by: one(r.requested_by, 120),
      tier: one(r.tier, 300),
      required: r.required,
      given: r.given.map((name) => one(name, 40)),
      eligible: r.eligible.map((name) => one(name, 40)),
      rule: r.rule === null ? null : one(r.rule, 80),
      expires_at: one(r.expires_at, 40),
      outcome: r.outcome === null ? null : one(r.outcome, 300),
    },
    page_url: notice.pageUrl ? one(notice.pageUrl, 1000) : null,
    decisions_url: publicUrl && notice.kind !== "outcome" ? `${publicUrl}/approvals/${encodeURIComponent(r.approval_id)}/decisions` : null,
    at: one(notice.at, 40),
  };
}
