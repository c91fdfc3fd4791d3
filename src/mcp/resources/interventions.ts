/**
 * `retivo://interventions/{id}`: one intervention in full, with its audit
 * trail (who created, flagged, asked for and gave approval, what ran) and, in
 * local mode, its delivery and retraction attempts. Works in both modes: the
 * intervention comes from the backend, the trail from the process's audit log
 * (which in API mode holds this server's own approvals only).
 */
import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolDeps } from "../../tools/define.js";
import { jsonResource, MODEL_WRITTEN_NOTE, orNotFound, variable } from "./content.js";
import { catalogOf, idLookups, safely } from "./lookups.js";

/** Enough history for any realistic intervention while keeping a read bounded. */
const MAX_AUDIT_ROWS = 50;

export interface AuditEntry {
  at: string;
  event: string;
  actor: string;
  detail: unknown;
}

export async function auditEntriesOf(deps: ToolDeps, id: string): Promise<AuditEntry[] | null> {
  if (!deps.auditTrail) return null;
  return (await deps.auditTrail(id))
    .slice(-MAX_AUDIT_ROWS)
    .map((row) => ({ at: row.at, event: row.event, actor: row.actor, detail: parseDetail(row.detail) }));
}

/** Stores written before approvals were bound to principals recorded transport session ids: never shown. */
function parseDetail(detail: string): unknown {
  try {
    const parsed = JSON.parse(detail) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return parsed;
    const { session: _session, ...rest } = parsed as Record<string, unknown>;
    return rest;
  } catch {
    return detail;
  }
}

/** Delivery attempts and retractions; null in API mode, where the remote API does not expose them. */
export async function deliveriesFor(deps: ToolDeps, id: string) {
  const catalog = catalogOf(deps);
  if (!catalog) return null;
  return (await catalog.deliveries(id)).map(({ kind, channel, attempt, outcome, detail, created_at }) => ({
    kind,
    channel,
    attempt,
    outcome,
    detail,
    at: created_at,
  }));
}

export function registerInterventionResources(server: McpServer, deps: ToolDeps): void {
  const lookups = idLookups(deps);
  server.registerResource(
    "intervention",
    new ResourceTemplate("retivo://interventions/{id}", {
      // There can be thousands; clients find ids with list_interventions or completion.
      list: undefined,
      complete: { id: safely((prefix) => lookups.interventionIds(prefix)) },
    }),
    {
      title: "Intervention with audit trail",
      description: "One intervention in full, its audit trail and (local store) its deliveries. Ids from list_interventions.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const id = variable(variables.id);
      const intervention = await orNotFound(uri, "Use an id from list_interventions.", () => deps.backend.get(id));
      return jsonResource(uri, {
        intervention,
        audit_trail: await auditEntriesOf(deps, id),
        deliveries: await deliveriesFor(deps, id),
        note: MODEL_WRITTEN_NOTE,
      });
    },
  );
}
