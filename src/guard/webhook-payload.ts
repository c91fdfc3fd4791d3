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
import { oneLine as one } from "../text/sanitize.js";
import type { ApprovalNotice, ApprovalNoticeKind, ApprovalNoticeView } from "./notices.js";

export interface ApprovalWebhookPayload {
  type: `approval.${ApprovalNoticeKind}`;
  delivery_id: string;
  text: string;
  /** The request as notices.ts views it, under `id`. */
  approval: Omit<ApprovalNoticeView, "approval_id"> & { id: string };
  page_url: string | null;
  decisions_url: string | null;
  at: string;
}

const HEADLINE: Record<ApprovalNoticeKind, string> = {
  requested: "Approval needed",
  reminder: "Reminder: approval still needed",
  escalation: "Escalated: approval still needed",
  outcome: "Approval decided",
};

export function webhookPayloadOf(notice: ApprovalNotice, deliveryId: string, publicUrl: string | undefined): ApprovalWebhookPayload {
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
