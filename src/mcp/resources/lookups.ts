/**
 * Id completions for resource templates and prompt arguments. In local mode
 * they are indexed range scans on the store; in API mode the remote API has
 * no search, so intervention and user ids come from the newest page of
 * interventions and playbook ids are not offered.
 */
import type { Status } from "../../api/schemas.js";
import type { CatalogCapability } from "../../backend/types.js";
import type { ToolDeps } from "../../tools/define.js";

/** Enough to pick from; the spec caps a completion at 100 values. */
export const MAX_COMPLETIONS = 20;
const API_SCAN = 100;

export interface IdLookups {
  interventionIds(prefix: string, statuses?: readonly Status[]): Promise<string[]>;
  userIds(prefix: string): Promise<string[]>;
  playbookIds(prefix: string): Promise<string[]>;
}

/** What only the local store answers (customers, playbooks, settings, deliveries); undefined over the remote API. */
export function catalogOf(deps: ToolDeps): CatalogCapability | undefined {
  return deps.backend.catalog;
}

export function idLookups(deps: ToolDeps): IdLookups {
  const catalog = catalogOf(deps);
  if (catalog) {
    return {
      interventionIds: (prefix, statuses) => catalog.interventionIds(prefix, statuses, MAX_COMPLETIONS),
      userIds: (prefix) => catalog.customerIds(prefix, MAX_COMPLETIONS),
      async playbookIds(prefix) {
        const needle = prefix.toLowerCase();
        // Playbook ids are UUIDs nobody types: match the name as well, answer with the id.
        return (await catalog.playbooks())
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
