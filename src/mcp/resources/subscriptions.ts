/**
 * `resources/subscribe` and `resources/unsubscribe`, and
 * `notifications/resources/updated` when a subscribed intervention changes.
 *
 * A change can come from anywhere: this session's tools, another session, the
 * dispatcher, the REST server, or the CLI in another process writing the same
 * SQLite file. No in-process event sees all of those, so each session polls
 * what it watches: one indexed query for all its subscriptions every couple of
 * seconds over the local store (every change bumps an intervention's version),
 * and one list call every 30 s over the Retivo API (which has no versions, so
 * the fields that change are compared). Nothing polls while nothing is
 * subscribed, and the timer never keeps the process alive.
 *
 * Only intervention resources change on their own. Subscribing to any other
 * URI is accepted, as the protocol asks, and never notifies.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { DetailedIntervention } from "../../api/schemas.js";
import { canonicalJson } from "../../canonical.js";
import type { ToolDeps } from "../../tools/define.js";
import { resourceNotFound } from "./content.js";
import { catalogOf } from "./lookups.js";

/** Bounds the work one session's poll can cost. */
export const MAX_SUBSCRIPTIONS = 100;
const LOCAL_POLL_MS = 2_000;
const API_POLL_MS = 30_000;
/** The whole window the API lists: subscribed ids older than it are not seen, so never reported as changed. */
const API_WINDOW = 500;

const INTERVENTION_URI = /^retivo:\/\/interventions\/([^/?#]+)$/;

/** What a subscription compares between polls: a fingerprint per intervention id that was found. */
type Fingerprints = (ids: readonly string[]) => Promise<Map<string, string>>;

function fingerprintsFor(deps: ToolDeps): Fingerprints {
  const catalog = catalogOf(deps);
  if (catalog) return (ids) => catalog.versionsOf(ids);
  return async (ids) => {
    const wanted = new Set(ids);
    const page = await deps.backend.list({ limit: API_WINDOW });
    return new Map(page.interventions.filter((i) => wanted.has(i.id)).map((i) => [i.id, apiFingerprint(i)]));
  };
}

/** The fields of an API intervention that change after it is created. */
function apiFingerprint(i: DetailedIntervention): string {
  const { status, flagged, flag_reason, approved_at, sent_at, delivered_at, message_body, planned_at } = i;
  return canonicalJson({ status, flagged, flag_reason, approved_at, sent_at, delivered_at, message_body, planned_at });
}

function interventionIdOf(uri: string): string | undefined {
  const match = INTERVENTION_URI.exec(uri);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

export function registerSubscriptions(server: McpServer, deps: ToolDeps): void {
  const fingerprints = fingerprintsFor(deps);
  const intervalMs = deps.config.subscriptionPollMs ?? (catalogOf(deps) ? LOCAL_POLL_MS : API_POLL_MS);
  /** uri → intervention id; other subscribed URIs are remembered so unsubscribe answers alike. */
  const watched = new Map<string, string | undefined>();
  /** intervention id → its fingerprint at the last poll. */
  const last = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };

  async function poll(): Promise<void> {
    if (polling) return; // a slow upstream never stacks polls
    if (!server.isConnected()) return stop();
    const ids = [...new Set([...watched.values()].filter((id): id is string => id !== undefined))];
    if (ids.length === 0) return stop();
    polling = true;
    try {
      const now = await fingerprints(ids);
      for (const [uri, id] of watched) {
        const current = id === undefined ? undefined : now.get(id);
        if (id === undefined || current === undefined || current === last.get(id)) continue;
        await server.server.sendResourceUpdated({ uri });
      }
      for (const [id, fingerprint] of now) last.set(id, fingerprint);
    } catch (error) {
      deps.logger.warn({ err: error }, "resource subscription poll failed; trying again at the next interval");
    } finally {
      polling = false;
    }
  }

  server.server.registerCapabilities({ resources: { subscribe: true } });

  server.server.setRequestHandler(SubscribeRequestSchema, async ({ params: { uri } }) => {
    if (watched.has(uri)) return {};
    if (watched.size >= MAX_SUBSCRIPTIONS) {
      throw new McpError(ErrorCode.InvalidParams, `At most ${MAX_SUBSCRIPTIONS} resource subscriptions per session: unsubscribe from one first.`);
    }
    const id = interventionIdOf(uri);
    if (id !== undefined) {
      // Knowing the starting point means the first notification is a real change, not the subscription itself.
      const found = (await fingerprints([id])).get(id);
      if (found === undefined) throw resourceNotFound(uri, "Subscribe to an id from list_interventions.");
      last.set(id, found);
    }
    watched.set(uri, id);
    if (id !== undefined && !timer) timer = setInterval(() => void poll(), intervalMs).unref();
    return {};
  });

  server.server.setRequestHandler(UnsubscribeRequestSchema, async ({ params: { uri } }) => {
    watched.delete(uri);
    return {};
  });
}

