/**
 * `retivo://customers/{user_id}` (local store only): where an end user stands
 * (stage, scores, risk, opt-out and pause) and their most recent
 * interventions as compact rows.
 *
 * The email address is left out on purpose. The reader is an agent whose
 * context may be logged by its model provider, and triage never needs the
 * address: the user id identifies the customer, and the writer itself never
 * sees it either. An operator who needs it has the store.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CatalogCapability } from "../../backend/types.js";
import type { Customer } from "../../domain/catalog.js";
import type { ToolDeps } from "../../tools/define.js";
import { compactRow as compact } from "../../api/compact.js";
import { jsonResource, resourceNotFound, variable } from "./content.js";
import { idLookups, safely } from "./lookups.js";

const RECENT_INTERVENTIONS = 10;

export function customerView(customer: Customer) {
  const { email: _email, ...visible } = customer;
  return visible;
}

export function registerCustomerResources(server: McpServer, deps: ToolDeps, catalog: CatalogCapability): void {
  const lookups = idLookups(deps);
  server.registerResource(
    "customer",
    new ResourceTemplate("retivo://customers/{user_id}", {
      list: undefined,
      complete: { user_id: safely((prefix) => lookups.userIds(prefix)) },
    }),
    {
      title: "Customer (end user)",
      description: "An end user's lifecycle stage, scores, risk, opt-out/pause and latest interventions. No email address.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const userId = variable(variables.user_id);
      const customer = await catalog.customer(userId);
      if (!customer) throw resourceNotFound(uri, "Use a user_id from list_interventions or completion.");
      const recent = await deps.backend.list({ limit: RECENT_INTERVENTIONS, user_id: userId });
      return jsonResource(uri, {
        customer: customerView(customer),
        recent_interventions: recent.interventions.map((row) => compact(row)),
        more_interventions: recent.next_cursor !== null,
      });
    },
  );
}
