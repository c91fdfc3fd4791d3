/**
 * `retivo://playbooks` (a compact index) and `retivo://playbooks/{id}` (one
 * playbook in full: conditions, constraints, strategy hints and the offers the
 * writer may mention). Local store only: the remote API has no playbook
 * endpoint this server could pass through.
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CatalogCapability } from "../../backend/types.js";
import type { ToolDeps } from "../../tools/define.js";
import { jsonResource, resourceNotFound, variable } from "./content.js";
import { idLookups, safely } from "./lookups.js";

export const PLAYBOOKS_URI = "retivo://playbooks";
export const playbookUri = (id: string) => `${PLAYBOOKS_URI}/${encodeURIComponent(id)}`;

export function registerPlaybookResources(server: McpServer, deps: ToolDeps, catalog: CatalogCapability): void {
  server.registerResource(
    "playbooks",
    PLAYBOOKS_URI,
    {
      title: "Playbooks",
      description: "Every playbook: id, name, status, lifecycle area, channels, success rate.",
      mimeType: "application/json",
    },
    async (uri) =>
      jsonResource(uri, {
        playbooks: (await catalog.playbooks()).map((p) => ({
          id: p.id,
          name: p.name,
          status: p.status,
          lifecycle_area: p.lifecycle_area,
          channels: p.constraints.channels,
          success_rate: p.success_rate,
          uri: playbookUri(p.id),
        })),
      }),
  );

  const lookups = idLookups(deps);
  server.registerResource(
    "playbook",
    new ResourceTemplate(`${PLAYBOOKS_URI}/{id}`, {
      // Few enough to list, so clients that browse resources see each one.
      list: async () => ({
        resources: (await catalog.playbooks()).map((p) => ({ uri: playbookUri(p.id), name: p.name, mimeType: "application/json" })),
      }),
      complete: { id: safely((prefix) => lookups.playbookIds(prefix)) },
    }),
    {
      title: "Playbook",
      description: "One playbook in full: entry/exit conditions, constraints, strategy hints, allowed offers.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const playbook = await catalog.playbook(variable(variables.id));
      if (!playbook) throw resourceNotFound(uri, `Read ${PLAYBOOKS_URI} for the ids.`);
      return jsonResource(uri, { playbook });
    },
  );
}
