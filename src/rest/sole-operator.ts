/**
 * The approval policy on the REST server. A REST approve or rollback is one
 * operator's own act, so it may only do what the policy lets one operator do
 * alone: where a rule asks for more than one operator, or refuses the action,
 * the REST call is refused too, or a single operator (or anything holding one
 * operator's passphrase) could walk around the quorum the team set.
 */
import type { InterventionsBackend } from "../backend/types.js";
import { offersInMessage } from "../backend/local/offers-in-message.js";
import type { GuardedAction } from "../domain/status-machine.js";
import { ApprovalRefusedError } from "../errors.js";
import { verdictFor, type Policy } from "../guard/policy.js";
import type { Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";

export async function requireSoleOperatorAllowed(
  policy: Policy | undefined,
  store: Store,
  backend: InterventionsBackend,
  call: { tenant: "live" | "test"; action: GuardedAction; interventionId: string; keyLabel: string },
): Promise<void> {
  if (!policy) return;
  const intervention = await backend.get(call.interventionId);
  const verdict = verdictFor(policy, {
    action: call.action,
    dataSet: call.tenant,
    channel: intervention.channel,
    offers: await offersInMessage(store, call.tenant, intervention),
    flagged: intervention.flagged,
    playbookId: intervention.playbook_id,
    principal: `rest:${call.keyLabel}`,
  });
  if (verdict.kind === "deny") {
    throw new ApprovalRefusedError(
      `The approval policy refuses this ${call.action} of ${call.interventionId} (rule "${oneLine(verdict.rule, 80)}": ${oneLine(verdict.reason, 300)}). Nothing changed.`,
      "A rule that denies an action denies it on every channel.",
    );
  }
  if (verdict.required > 1) {
    throw new ApprovalRefusedError(
      `The approval policy needs ${verdict.required} distinct operators for this ${call.action} of ${call.interventionId} (rule "${oneLine(verdict.rule ?? "", 80)}"); one operator's REST call cannot release it. Nothing changed.`,
      "Ask for it through the MCP server's approval request, where each operator decides (approval page, `retivo-mcp approvals approve ID --as NAME`).",
    );
  }
}
