/**
 * `explain_intervention`: what one intervention is, why it exists, what its
 * checks found, what happened to it so far, and whether it is safe to send.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { auditEntriesOf } from "../resources/interventions.js";
import type { IdLookups } from "../resources/lookups.js";
import type { ToolDeps } from "../../tools/define.js";
import { interventionIdArg } from "./args.js";
import { surroundingsOf } from "./context.js";
import { promptResult, readOrInvalid, type ActionSet } from "./render.js";

export function registerExplainIntervention(server: McpServer, deps: ToolDeps, lookups: IdLookups, actions: ActionSet): void {
  server.registerPrompt(
    "explain_intervention",
    {
      title: "Explain an intervention",
      description: "Explain one intervention: who, what, why, its quality checks and history, and whether it is safe to send.",
      argsSchema: { id: interventionIdArg(lookups) },
    },
    async ({ id }) => {
      const intervention = await readOrInvalid(() => deps.backend.get(id.trim()));
      const surroundings = await surroundingsOf(deps, intervention);
      const instructions = [
        `Explain intervention ${intervention.id} to the human in plain language, in this order:`,
        "1. Who it is for and by which channel, and its status.",
        "2. What the message says (quote it briefly) and why it was planned (the reasoning, and the playbook).",
        "3. Quality checks and flag: which passed, which failed, and what each failure means.",
        "4. History from the audit trail: created, flagged, approvals asked and answered.",
        surroundings
          ? "5. Whether it is safe to send now: consider the customer's opt-out/pause, risk and stage, and the kill switch and shadow mode."
          : "5. Whether it is safe to send now, judged from the message and its checks (customer and tenant settings are not available in API mode).",
        `End with one recommendation. ${actions.triageActions()}`,
      ];
      return promptResult(`Explain ${intervention.id}`, instructions, {
        intervention,
        audit_trail: await auditEntriesOf(deps, intervention.id),
        ...surroundings,
      });
    },
  );
}
