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
import type { Tx } from "../sql.js";

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
export async function rememberedCreate(tx: Tx, tenantId: string, key: string, now: Date): Promise<RememberedCreate | undefined> {
  const row = await tx.get<{ request_hash: string; response: string }>(
    "SELECT request_hash, response FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at >= ?",
    [tenantId, key, new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString()],
  );
  return row && { requestHash: row.request_hash, response: JSON.parse(row.response) as CreateResponse };
}

/** Inside the create's transaction; expired keys go first, so a key can be used again after 24 h. */
export async function rememberCreate(tx: Tx, tenantId: string, key: string, requestHash: string, response: CreateResponse, now: Date): Promise<void> {
  await tx.run("DELETE FROM idempotency_keys WHERE created_at < ?", [new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString()]);
  await tx.run("INSERT INTO idempotency_keys (tenant_id, key, request_hash, intervention_id, response, created_at) VALUES (?, ?, ?, ?, ?, ?)", [
    tenantId,
    key,
    requestHash,
    response.id,
    JSON.stringify(response),
    now.toISOString(),
  ]);
}
