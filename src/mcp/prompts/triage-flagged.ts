/**
 * `triage_flagged`: walk the flagged interventions that can still be acted on,
 * explain each flag, and recommend approve, reject or pause. The queue is
 * embedded compactly so the agent starts with what matters and reads more
 * only for the ones it discusses.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { DetailedIntervention } from "../../api/schemas.js";
import type { ToolDeps } from "../../tools/define.js";
import { failingChecks } from "../../tools/describe.js";
import { preview } from "../../api/compact.js";
import type { IdLookups } from "../resources/lookups.js";
import { blankToUndefined, channelFilter, optionalChannelArg, optionalUserIdArg } from "./args.js";
import { promptResult, type ActionSet } from "./render.js";

/** Statuses where a flag still matters: the message has not gone out. */
const ACTIONABLE = new Set(["planned", "paused", "approved"]);
const QUEUE_SCAN = 50;

export function flaggedRow(i: DetailedIntervention) {
  return {
    id: i.id,
    status: i.status,
    channel: i.channel,
    user_id: i.user_id,
    confidence: i.confidence,
    flag_reason: i.flag_reason,
    failing_checks: failingChecks(i.quality_checks),
    preview: preview(i.message_body),
  };
}

export function registerTriageFlagged(server: McpServer, deps: ToolDeps, lookups: IdLookups, actions: ActionSet): void {
  server.registerPrompt(
    "triage_flagged",
    {
      title: "Triage flagged interventions",
      description: "Walk the flagged queue (not yet sent), explain each flag and recommend approve, reject or pause.",
      argsSchema: { channel: optionalChannelArg(), user_id: optionalUserIdArg(lookups) },
    },
    async (args) => {
      const channel = channelFilter(args.channel);
      const user_id = blankToUndefined(args.user_id);
      const page = await deps.backend.list({ limit: QUEUE_SCAN, flagged: true, channel, user_id });
      const queue = page.interventions.filter((i) => ACTIONABLE.has(i.status));
      const instructions = [
        `Triage the ${queue.length} flagged intervention(s) below that have not been sent${channel ? ` (channel ${channel})` : ""}${user_id ? ` (user ${user_id})` : ""}, newest first.`,
        "For each one: read it in full with get_intervention (or the resource retivo://interventions/{id}); explain in one or two sentences why it was flagged, " +
          "using flag_reason and the failing quality checks; then recommend approve, reject or pause, with the reason.",
        "A flag from an error-level quality check (pii, placeholders, offers, avoid_terms) usually means reject; when unsure, pause.",
        actions.triageActions(),
        page.next_cursor ? "More flagged interventions exist: list_interventions with flagged=true and the cursor pages on." : "This is the whole flagged queue.",
      ];
      if (queue.length === 0) instructions.splice(1, 3, "Nothing flagged is waiting: say so, and suggest the review_pending prompt for unflagged planned interventions.");
      return promptResult("Flagged interventions to triage", instructions, { flagged: queue.map(flaggedRow) });
    },
  );
}
