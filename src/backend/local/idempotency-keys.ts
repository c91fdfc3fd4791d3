/**
 * The local store's memory of Idempotency-Keys on create (migration 5): for
 * 24 h, a key maps to the request it came with (as a hash) and the answer it
 * got. LocalBackend.create reads it before creating and writes it in the
 * same transaction as the intervention, so a retry after a lost answer, or two
 * racing requests with one key, make one intervention.
 */
import { createHash } from "node:crypto";
import type { CreateRequest, CreateResponse } from "../../api/schemas.js";
import { canonicalJson } from "../../canonical.js";
import { prepared, type Db } from "./store.js";

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

export interface RememberedCreate {
  requestHash: string;
  response: CreateResponse;
}

export function requestHashOf(request: CreateRequest): string {
  const { user_id, playbook_id, channel } = request;
  return createHash("sha256").update(canonicalJson({ user_id, playbook_id, channel })).digest("hex");
}

/** The answer a key got within the window, if any. */
export function rememberedCreate(db: Db, tenantId: string, key: string, now: Date): RememberedCreate | undefined {
  const row = prepared(db, "SELECT request_hash, response FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at >= ?").get(
    tenantId,
    key,
    new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString(),
  ) as { request_hash: string; response: string } | undefined;
  return row && { requestHash: row.request_hash, response: JSON.parse(row.response) as CreateResponse };
}

/** Inside the create's transaction; expired keys go first, so a key can be used again after 24 h. */
export function rememberCreate(db: Db, tenantId: string, key: string, requestHash: string, response: CreateResponse, now: Date): void {
  prepared(db, "DELETE FROM idempotency_keys WHERE created_at < ?").run(new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString());
  prepared(db, "INSERT INTO idempotency_keys (tenant_id, key, request_hash, intervention_id, response, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
    tenantId,
    key,
    requestHash,
    response.id,
    JSON.stringify(response),
    now.toISOString(),
  );
}
