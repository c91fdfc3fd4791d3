/**
 * The facts around one intervention that decide whether it is safe to send:
 * the customer's state, the playbook, and the tenant's switches. Local store
 * only; in API mode the remote API does not expose them and this returns null.
 */
import type { DetailedIntervention } from "../../api/schemas.js";
import { catalogOf } from "../resources/lookups.js";
import type { ToolDeps } from "../../tools/define.js";

export async function surroundingsOf(deps: ToolDeps, intervention: DetailedIntervention) {
  const catalog = catalogOf(deps);
  if (!catalog) return null;
  const [customer, playbook, tenant] = await Promise.all([catalog.customer(intervention.user_id), catalog.playbook(intervention.playbook_id), catalog.settings()]);
  return {
    customer: customer && {
      name: customer.name,
      lifecycle_stage: customer.lifecycle_stage,
      activation_score: customer.activation_score,
      engagement_score: customer.engagement_score,
      expansion_score: customer.expansion_score,
      health: customer.health,
      risk_level: customer.risk_level,
      opted_out: customer.opted_out,
      paused: customer.paused,
    },
    playbook: playbook && { name: playbook.name, status: playbook.status, lifecycle_area: playbook.lifecycle_area, tone: playbook.strategy_hints.tone ?? null },
    settings: tenant && { kill_switch_active: tenant.kill_switch_active, shadow_mode: tenant.shadow_mode },
  };
}
