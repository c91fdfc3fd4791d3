/**
 * Id completions for resource templates and prompt arguments. In local mode
 * they are indexed range scans on the store; in API mode the remote API has
 * no search, so intervention and user ids come from the newest page of
 * interventions and playbook ids are not offered.
 */
import type { Status } from "../api/schemas.js";
import { listPlaybooks, searchCustomerIds } from "../backend/local/catalog.js";
import type { ToolDeps } from "../tools/define.js";

/** Enough to pick from; the spec caps a completion at 100 values. */
export const MAX_COMPLETIONS = 20;
const API_SCAN = 100;

export interface IdLookups {
  interventionIds(prefix: string, statuses?: readonly Status[]): Promise<string[]>;
  userIds(prefix: string): Promise<string[]>;
  playbookIds(prefix: string): Promise<string[]>;
}

/** The store, when this server runs over the local store (null in API mode). */
export function localStore(deps: ToolDeps): NonNullable<ToolDeps["store"]> | null {
  return deps.backend.mode === "local" && deps.store ? deps.store : null;
}

export function idLookups(deps: ToolDeps): IdLookups {
  const store = localStore(deps);
  if (store) {
    const { db, tenantId } = store;
    return {
      async interventionIds(prefix, statuses) {
        const statusFilter = statuses?.length ? `AND status IN (${statuses.map(() => "?").join(",")})` : "";
        const rows = db
          .prepare(
            `SELECT id FROM interventions WHERE tenant_id = ? AND id >= ? AND id < ? ${statusFilter} ORDER BY seq DESC LIMIT ?`,
          )
          .all(tenantId, prefix, prefix + "\uffff", ...(statuses ?? []), MAX_COMPLETIONS) as { id: string }[];
        return rows.map((r) => r.id);
      },
      async userIds(prefix) {
        return searchCustomerIds(db, tenantId, prefix, MAX_COMPLETIONS);
      },
      async playbookIds(prefix) {
        const needle = prefix.toLowerCase();
        // Playbook ids are UUIDs nobody types: match the name as well, answer with the id.
        return listPlaybooks(db, tenantId)
          .filter((p) => p.id.startsWith(prefix) || p.name.toLowerCase().includes(needle))
          .map((p) => p.id)
          .slice(0, MAX_COMPLETIONS);
      },
    };
  }
  const recent = async (statuses?: readonly Status[]) => {
    const pages = statuses?.length
      ? await Promise.all(statuses.map((status) => deps.backend.list({ limit: API_SCAN, status })))
      : [await deps.backend.list({ limit: API_SCAN })];
    return pages.flatMap((page) => page.interventions);
  };
  return {
    async interventionIds(prefix, statuses) {
      const ids = (await recent(statuses)).map((i) => i.id).filter((id) => id.startsWith(prefix));
      return ids.slice(0, MAX_COMPLETIONS);
    },
    async userIds(prefix) {
      const ids = new Set((await recent()).map((i) => i.user_id).filter((id) => id.startsWith(prefix)));
      return [...ids].slice(0, MAX_COMPLETIONS);
    },
    async playbookIds() {
      return [];
    },
  };
}

/** Completion callbacks must never fail the request: a broken lookup offers nothing. */
export function safely(complete: (value: string) => Promise<string[]>): (value: string) => Promise<string[]> {
  return async (value) => {
    try {
      return await complete(value ?? "");
    } catch {
      return [];
    }
  };
}
