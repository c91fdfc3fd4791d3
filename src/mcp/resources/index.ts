/**
 * Every MCP resource this server offers. Interventions work in both modes;
 * customers, playbooks and settings exist only over the local store (the
 * remote API has no endpoints for them), so in API mode they are not
 * registered at all rather than registered and failing.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolDeps } from "../../tools/define.js";
import { registerCustomerResources } from "./customers.js";
import { registerInterventionResources } from "./interventions.js";
import { catalogOf } from "./lookups.js";
import { registerPlaybookResources } from "./playbooks.js";
import { registerSettingsResource } from "./settings.js";
import { registerSubscriptions } from "./subscriptions.js";

export function registerResources(server: McpServer, deps: ToolDeps): void {
  registerInterventionResources(server, deps);
  registerSubscriptions(server, deps);
  const catalog = catalogOf(deps);
  if (!catalog) return;
  registerCustomerResources(server, deps, catalog);
  registerPlaybookResources(server, deps, catalog);
  registerSettingsResource(server, catalog);
}

