/**
 * The `pending_approval` result for clients that cannot ask the human
 * themselves. The instructions are written for the human, to be shown by the
 * agent verbatim; nothing in them lets the agent approve by itself.
 */
import type { ApprovalRow } from "./approvals-store.js";
import type { PendingApproval } from "./types.js";

const TOOL_OF = { approve: "approve_intervention", rollback: "rollback_intervention" } as const;

/**
 * `cli` builds the human's exact command (approvalsCommand), e.g.
 * `retivo-mcp approvals approve <id> --db …`; undefined for an in-memory store.
 */
export function pendingApprovalFor(row: ApprovalRow, approvalUrl: string | null, cli: ((subcommand: string) => string) | undefined): PendingApproval {
  const what = row.action === "approve" ? `approve (release) ${row.intervention_id}` : `roll back ${row.intervention_id}`;
  const terminal = cli ? `run \`${cli(`approve ${row.id}`)}\` in your own terminal` : undefined;
  const where =
    terminal && approvalUrl
      ? `${terminal}, or open ${approvalUrl} in your browser; both ask for the operator passphrase`
      : terminal
        ? `${terminal} (not through the agent); it shows the exact message and asks you to confirm`
        : approvalUrl
          ? `open ${approvalUrl} in your browser; it asks for the operator passphrase`
          : "restart the server on a store file (RETIVO_DB) or use a client that can show approval forms: this server keeps its store in memory, so no terminal can see the request";
  const refuse = cli ? `run \`${cli(`deny ${row.id}`)}\` or let it expire` : "let it expire";
  return {
    status: "pending_approval",
    approval_id: row.id,
    action: row.action,
    intervention_id: row.intervention_id,
    expires_at: row.expires_at,
    instructions:
      `A human must approve this before it happens. To ${what}, ${where}. ` +
      `Then ask the agent to call ${TOOL_OF[row.action]} for ${row.intervention_id} again. ` +
      `The request expires at ${row.expires_at}; to refuse, ${refuse}.`,
    approval_url: approvalUrl,
  };
}
