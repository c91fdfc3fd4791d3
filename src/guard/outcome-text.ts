/**
 * What actually happened to a request, in one or two sentences for the human
 * who decided it (the page, the CLI). Never a promise: "released" only once
 * the transition committed, and otherwise why not.
 */
import { factsOf, type ApprovalRow } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { LOCAL_BACKEND } from "./types.js";

/** What a rollback can and cannot undo, per channel. */
export function rollbackEffect(channel: string): string {
  switch (channel) {
    case "in_app":
      return "the in-app message is withdrawn from the user's inbox";
    case "webhook":
      return "a signed retraction event is sent to the webhook endpoint";
    case "email":
      return "an email cannot be unsent: the rollback is recorded, and the recipient keeps the message";
    default:
      return "the channel retracts what it can";
  }
}

export function outcomeText(row: ApprovalRow): string {
  const { facts } = factsOf(row);
  const id = facts.intervention_id;
  const by = oneLine(row.decided_by ?? "a human", 60);
  switch (row.status) {
    case "executed":
      return facts.action === "approve"
        ? `Released: ${id} is approved (by ${by}) and goes out at or after ${oneLine(facts.planned_at, 40)}.`
        : `Rolled back: ${id} is rolled back (by ${by}); ${rollbackEffect(facts.channel)}.`;
    case "approved":
      return row.backend_mode === LOCAL_BACKEND
        ? `Approved, but not released yet: it will be executed by the next retivo-mcp process on this store (a running server within seconds), before ${row.expires_at}. Nothing has been sent.`
        : `Approved, but not released yet: in API mode a running retivo-mcp server on this store executes it (the key stays in the server), before ${row.expires_at}. None has done so yet; nothing has been sent.`;
    case "denied":
      return `Denied by ${by}. Nothing was released.`;
    case "void":
      return `Not released: ${oneLine(row.outcome ?? "the request is void", 300).replace(/[.\s]+$/, "")}. Nothing changed.`;
    case "expired":
      return `Not released: the request ${oneLine(row.outcome ?? "expired", 80)}. Nothing changed.`;
    case "failed":
      return `Approved, but executing it failed: ${oneLine(row.outcome ?? "unknown error", 300).replace(/[.\s]+$/, "")}. Nothing was released.`;
    case "pending":
      return `Waiting for a human decision; the request expires at ${row.expires_at}.`;
  }
}
