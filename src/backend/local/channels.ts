/**
 * The three delivery channels of the local store. In-app writes to the inbox
 * table, email writes an RFC 5322 file to the outbox folder, webhook POSTs a
 * signed JSON body. Each is idempotent per intervention, so a delivery resumed
 * after a crash never shows twice.
 */
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Customer, TenantSettings } from "./catalog.js";
import type { InterventionRow } from "./interventions-repo.js";
import { prepared, type Db } from "./store.js";

export function deliverInApp(db: Db, row: InterventionRow, now: Date): void {
  prepared(db, 
    `INSERT OR IGNORE INTO inbox (intervention_id, tenant_id, user_id, subject, body, delivered_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(row.id, row.tenant_id, row.user_id, row.subject, row.message_body, now.toISOString());
}

/** Header values must not carry line breaks (header injection). */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, " ").trim();
}

export function renderEmail(row: InterventionRow, customer: Customer, tenant: TenantSettings, now: Date): string {
  const body = row.message_body.replace(/\r?\n/g, "\r\n");
  return [
    `From: ${headerSafe(tenant.name)} <no-reply@retivo.local>`,
    `To: ${headerSafe(customer.name)} <${headerSafe(customer.email)}>`,
    `Subject: ${headerSafe(row.subject ?? `A note from ${tenant.name}`)}`,
    `Date: ${now.toUTCString()}`,
    `Message-ID: <${row.id}@retivo.local>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    `X-Retivo-Intervention: ${row.id}`,
    "",
    body,
    "",
  ].join("\r\n");
}

/** Written to a temp name then renamed: a reader never sees half a message. */
export function deliverEmail(outboxDir: string, row: InterventionRow, customer: Customer, tenant: TenantSettings, now: Date): string {
  mkdirSync(outboxDir, { recursive: true });
  const path = join(outboxDir, `${row.id}.eml`);
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, renderEmail(row, customer, tenant, now), { mode: 0o600 });
  renameSync(temp, path);
  return path;
}

export function signBody(rawBody: string, secret: string): string {
  return createHmac("sha256", secret).update(rawBody).digest("hex");
}

export interface WebhookPayload {
  intervention_id: string;
  user_id: string;
  playbook_id: string;
  channel: string;
  message_body: string;
  reasoning: string;
  confidence: number;
  metadata: { lifecycle_stage: string; activation_score: number; risk_level: string };
  event?: "intervention.retracted";
}

export function webhookPayload(row: InterventionRow, customer: Customer | undefined): WebhookPayload {
  return {
    intervention_id: row.id,
    user_id: row.user_id,
    playbook_id: row.playbook_id,
    channel: row.channel,
    message_body: row.message_body,
    reasoning: row.reasoning,
    confidence: row.confidence,
    metadata: {
      lifecycle_stage: customer?.lifecycle_stage ?? "unknown",
      activation_score: customer?.activation_score ?? 0,
      risk_level: customer?.risk_level ?? "unknown",
    },
  };
}

export type PostOutcome = { ok: true; status: number } | { ok: false; detail: string; retryable: boolean };

/**
 * One signed POST. `timeoutMs` caps the whole attempt (connect included, which
 * undici's headers and body timeouts leave out), so the retry loop can bound a whole sequence;
 * `signal` lets a stopping dispatcher abandon it at once. The HTTP client is
 * loaded before the deadline starts, so a slow first import does not eat the
 * attempt's time; a client that cannot be loaded is this machine's problem, not
 * the endpoint's: reported as such and never retried.
 */
export async function postWebhook(
  url: string,
  secret: string,
  payload: object,
  timeoutMs: number,
  signal?: AbortSignal,
  loadClient: () => Promise<Pick<typeof import("undici"), "request">> = () => import("undici"),
): Promise<PostOutcome> {
  let request: (typeof import("undici"))["request"];
  try {
    // Loaded on the first webhook, not at start: most sessions never send one.
    ({ request } = await loadClient());
  } catch (error) {
    return { ok: false, detail: `the HTTP client (undici) could not be loaded, so nothing was sent: ${(error as Error).message}`, retryable: false };
  }
  const raw = JSON.stringify(payload);
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(url, {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json", "x-retivo-signature": signBody(raw, secret) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
    await response.body.dump();
    if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, status: response.statusCode };
    return {
      ok: false,
      detail: `endpoint answered HTTP ${response.statusCode}`,
      retryable: response.statusCode >= 500 || response.statusCode === 429 || response.statusCode === 408,
    };
  } catch (error) {
    return { ok: false, detail: `could not reach the endpoint: ${(error as Error).message}`, retryable: true };
  }
}
