/**
 * Which replica minted a session. 2025-era MCP sessions live in one process,
 * so behind a load balancer every request of a session must reach the replica
 * that opened it. Each session id starts with the replica's id and a dot
 * (`mcp-1.5f0c…`); the balancer routes on that prefix (deploy/nginx/), and a
 * replica that is handed an id it does not hold answers 404, so the client
 * opens a new session wherever the balancer sends it.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { REPLICA_ID_PATTERN } from "../../config.js";

/** Separates the replica id from the random part; never in a replica id. */
export const REPLICA_SEPARATOR = ".";

/**
 * The id a replica takes when RETIVO_REPLICA_ID is unset: its host name and
 * port (two replicas on one host differ by port), reduced to what a session id
 * and an nginx pattern carry, e.g. `web-3-8080`.
 */
export function defaultReplicaId(port: number, host: string = hostname()): string {
  const suffix = `-${port}`;
  const name = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 32 - suffix.length)
    .replace(/-$/, "");
  const id = `${name || "replica"}${suffix}`;
  // Unreachable for any host name, kept so a change above cannot mint ids the balancer's map cannot match.
  if (!REPLICA_ID_PATTERN.test(id)) throw new Error(`derived replica id '${id}' is not a valid replica id`);
  return id;
}

export function mintSessionId(replicaId: string): string {
  return `${replicaId}${REPLICA_SEPARATOR}${randomUUID()}`;
}

/** The replica a session id names, or undefined when it carries none (minted elsewhere, or made up). */
export function replicaOfSessionId(sessionId: string): string | undefined {
  const at = sessionId.indexOf(REPLICA_SEPARATOR);
  if (at <= 0) return undefined;
  const replica = sessionId.slice(0, at);
  return REPLICA_ID_PATTERN.test(replica) ? replica : undefined;
}
