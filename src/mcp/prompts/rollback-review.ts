/**
 * `rollback_review`: before a rollback, what was delivered, to whom, and what
 * a rollback will and will not undo on that channel (domain.md), so the human
 * approves knowing its limits.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { deliveriesFor } from "../resources/interventions.js";
import type { IdLookups } from "../resources/lookups.js";
import type { ToolDeps } from "../../tools/define.js";
import { interventionIdArg } from "./args.js";
import { surroundingsOf } from "./context.js";
import { promptResult, readOrInvalid, type ActionSet } from "./render.js";

const ROLLBACK_FROM = ["sent", "delivered"] as const;

/** What rollback does per channel; the same facts the channels implement in backend/local/retract.ts. */
export const ROLLBACK_EFFECT: Record<string, { undoes: string; cannot_undo: string }> = {
  in_app: {
    undoes: "The message is withdrawn from the user's in-app inbox.",
    cannot_undo: "If the user already opened it, they have read it.",
  },
  email: {
    undoes: "Nothing in the user's mailbox: the retraction is only recorded.",
    cannot_undo: "An email cannot be unsent; a correction would need a new message.",
  },
  webhook: {
    undoes: "A signed retraction event is sent to the webhook endpoint.",
    cannot_undo: "Whatever the receiving system already did with the first event, unless it handles the retraction.",
  },
};

export function registerRollbackReview(server: McpServer, deps: ToolDeps, lookups: IdLookups, actions: ActionSet): void {
  server.registerPrompt(
    "rollback_review",
    {
      title: "Review a rollback",
      description: "Before rolling back a sent or delivered intervention: what went out, to whom, and what a rollback will and will not undo.",
      argsSchema: { id: interventionIdArg(lookups, ROLLBACK_FROM) },
    },
    async ({ id }) => {
      const intervention = await readOrInvalid(() => deps.backend.get(id.trim()));
      if (!(ROLLBACK_FROM as readonly string[]).includes(intervention.status)) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `${intervention.id} is '${intervention.status}'; only sent or delivered interventions can be rolled back.`,
        );
      }
      const surroundings = await surroundingsOf(deps, intervention);
      const rollback = actions.has("rollback_intervention")
        ? "If the human wants it, call rollback_intervention with a short reason: the server asks the human to approve it; you cannot approve it yourself."
        : "rollback_intervention is not enabled on this server: tell the human to roll it back with a server that allows it.";
      const instructions = [
        `Help the human decide whether to roll back ${intervention.id}. Tell them:`,
        "1. What was sent (quote the message briefly), when (sent_at, delivered_at) and to whom (user_id and, if given, the customer).",
        "2. What a rollback will undo on this channel and what it will not (see rollback_effect), plainly.",
        "3. The delivery record, if given: attempts and outcomes.",
        "4. Whether a rollback is worth it, or a follow-up message would serve better.",
        rollback,
      ];
      return promptResult(`Rollback review for ${intervention.id}`, instructions, {
        intervention: {
          id: intervention.id,
          status: intervention.status,
          channel: intervention.channel,
          user_id: intervention.user_id,
          sent_at: intervention.sent_at,
          delivered_at: intervention.delivered_at,
          message_body: intervention.message_body,
        },
        customer: surroundings?.customer ? { name: surroundings.customer.name, lifecycle_stage: surroundings.customer.lifecycle_stage } : undefined,
        deliveries: await deliveriesFor(deps, intervention.id),
        rollback_effect: ROLLBACK_EFFECT[intervention.channel] ?? null,
      });
    },
  );
}
