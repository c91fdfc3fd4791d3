/**
 * The `pending_approval` result for clients that cannot ask the human
 * themselves. `instructions` is one instruction, written for the human and
 * shown by the agent verbatim; what the agent itself should do is said once,
 * in the tool's text (tools/guarded-call.ts). Nothing in either lets the
 * agent approve by itself.
 */
import type { ApprovalRow } from "../store/index.js";
import type { PendingApproval } from "./types.js";
import { tierLine, type TierView } from "./tier-text.js";

/**
 * `cli` builds the human's exact command (approvalsCommand), e.g.
 * `retivo-mcp approvals approve <id> --db …`; undefined for an in-memory store.
 */
export function pendingApprovalFor(row: ApprovalRow, approvalUrl: string | null, cli: ((subcommand: string) => string) | undefined, team?: TierView): PendingApproval {
  const what = row.action === "approve" ? `release ${row.intervention_id}` : `roll back ${row.intervention_id}`;
  const as = team && team.eligible.length > 0 ? " --as NAME" : "";
  const terminal = cli ? `run \`${cli(`approve ${row.id}${as}`)}\` in your own terminal` : undefined;
  const page = approvalUrl ? `open ${approvalUrl}` : undefined;
  const how =
    terminal && page
      ? `${terminal} or ${page}; either shows the exact message and asks for the operator passphrase`
      : terminal
        ? `${terminal}; it shows the exact message and asks you to confirm`
        : page
          ? `${page}; it shows the exact message and asks for the operator passphrase`
          : "use a client that can show approval forms, or restart the server on a store file (RETIVO_DB): this server keeps its store in memory, so no terminal can see the request";
  const refuse = cli ? ` To refuse, run \`${cli(`deny ${row.id}${as}`)}\`.` : "";
  return {
    status: "pending_approval",
    approval_id: row.id,
    action: row.action,
    intervention_id: row.intervention_id,
    expires_at: row.expires_at,
    instructions: team
      ? `This request ${tierLine(team)}. To ${what}, ${how}. It takes effect when the last approval needed is in.${refuse} The request expires at ${row.expires_at}.`
      : `To ${what}, ${how}. Your decision takes effect at once.${refuse} The request expires at ${row.expires_at}.`,
    approval_url: approvalUrl,
  };
}
