/**
 * Every MCP prompt: the common triage conversations, each with arguments that
 * complete (ids, user ids, channels). They read through the backend, so they
 * work in both modes; local-only context is added when the store is there.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { idLookups } from "../resources/lookups.js";
import type { ToolDeps } from "../../tools/define.js";
import { registerExplainIntervention } from "./explain-intervention.js";
import { actionSet } from "./render.js";
import { registerReviewPending } from "./review-pending.js";
import { registerRollbackReview } from "./rollback-review.js";
import { registerTriageFlagged } from "./triage-flagged.js";

/** `tools`: the names this server exposes, so prompts only suggest tools that exist. */
export function registerPrompts(server: McpServer, deps: ToolDeps, tools: readonly string[]): void {
  const lookups = idLookups(deps);
  const actions = actionSet(tools);
  registerTriageFlagged(server, deps, lookups, actions);
  registerReviewPending(server, deps, lookups, actions);
  registerExplainIntervention(server, deps, lookups, actions);
  registerRollbackReview(server, deps, lookups, actions);
}
