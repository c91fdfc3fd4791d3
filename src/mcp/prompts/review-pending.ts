/**
 * `review_pending`: the planned interventions waiting for a human, oldest
 * first (the longest-waiting message is the most likely to be stale), each
 * with its quality checks, so the human can go through them in order.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { DetailedIntervention } from "../../api/schemas.js";
import type { ListQuery } from "../../backend/types.js";
import type { ToolDeps } from "../../tools/define.js";
import { failingChecks } from "../../tools/describe.js";
import { preview } from "../../api/compact.js";
import type { IdLookups } from "../resources/lookups.js";
import { blankToUndefined, channelFilter, optionalChannelArg, optionalUserIdArg } from "./args.js";
import { promptResult, type ActionSet } from "./render.js";

const SHOWN = 20;
/** Oldest first needs the end of a newest-first list; bounded so a huge backlog stays cheap. */
const MAX_SCANNED = 500;
const PAGE = 100;

async function planned(deps: ToolDeps, filter: Pick<ListQuery, "channel" | "user_id">) {
  const rows: DetailedIntervention[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.backend.list({ ...filter, limit: PAGE, status: "planned", cursor });
    rows.push(...page.interventions);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && rows.length < MAX_SCANNED);
  return { rows, truncated: cursor !== undefined };
}

export function pendingRow(i: DetailedIntervention) {
  const failing = failingChecks(i.quality_checks);
  return {
    id: i.id,
    planned_at: i.planned_at,
    channel: i.channel,
    user_id: i.user_id,
    confidence: i.confidence,
    flagged: i.flagged,
    quality: failing.length ? failing : "all passed",
    preview: preview(i.message_body),
  };
}

export function registerReviewPending(server: McpServer, deps: ToolDeps, lookups: IdLookups, actions: ActionSet): void {
  server.registerPrompt(
    "review_pending",
    {
      title: "Review pending approvals",
      description: "Planned interventions waiting for a human, oldest first, with their quality checks.",
      argsSchema: { channel: optionalChannelArg(), user_id: optionalUserIdArg(lookups) },
    },
    async (args) => {
      const channel = channelFilter(args.channel);
      const user_id = blankToUndefined(args.user_id);
      const { rows, truncated } = await planned(deps, { channel, user_id });
      const oldest = [...rows].sort((a, b) => a.planned_at.localeCompare(b.planned_at)).slice(0, SHOWN);
      const instructions = [
        `Review the ${oldest.length} oldest of ${rows.length}${truncated ? "+" : ""} planned intervention(s) waiting for approval, in the order given (oldest first).`,
        "For each: say in one line who it goes to, by which channel and why (reasoning, via get_intervention when the preview is not enough); " +
          "point out failing quality checks and flags; recommend approve, reject or pause.",
        "Present them as a short numbered list and let the human decide; do not approve in bulk.",
        actions.triageActions(),
      ];
      if (rows.length === 0) instructions.splice(0, 4, "No planned intervention is waiting for approval: say so.");
      return promptResult("Pending approvals, oldest first", instructions, { pending: oldest.map(pendingRow) });
    },
  );
}
