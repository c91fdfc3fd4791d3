/**
 * The email channel of the local store: an RFC 5322 file in the outbox
 * folder, idempotent per intervention (one file name per id), so a delivery
 * resumed after a crash never shows twice. In-app delivery is a row of the
 * store's inbox (store/ops/deliveries.ts); the webhook channel, which cannot
 * be idempotent by itself, is in webhook.ts. Like an ESP, it fills in the
 * opt-out merge token and names the opt-out in List-Unsubscribe (RFC 2369).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Customer, TenantSettings } from "../../domain/catalog.js";
import type { InterventionRow } from "../../store/index.js";

/** Header values must not carry line breaks (header injection). */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, " ").trim();
}

/** The merge token an ESP replaces with the recipient's own opt-out link (the seeded policies use it). */
export const UNSUBSCRIBE_TOKEN = "{{unsubscribe_url}}";

/**
 * The local store has no web server of its own for opt-outs, so it does what
 * an ESP without one does: a mailto address naming the tenant and recipient.
 */
export function unsubscribeAddress(tenant: TenantSettings, customer: Customer): string {
  return `mailto:unsubscribe@retivo.local?subject=${encodeURIComponent(`unsubscribe ${tenant.id} ${customer.id}`)}`;
}

export function renderEmail(row: InterventionRow, customer: Customer, tenant: TenantSettings, now: Date): string {
  const optOut = unsubscribeAddress(tenant, customer);
  const body = row.message_body.split(UNSUBSCRIBE_TOKEN).join(optOut).replace(/\r?\n/g, "\r\n");
  return [
    `From: ${headerSafe(tenant.name)} <no-reply@retivo.local>`,
    `To: ${headerSafe(customer.name)} <${headerSafe(customer.email)}>`,
    `Subject: ${headerSafe(row.subject ?? `A note from ${tenant.name}`)}`,
    `Date: ${now.toUTCString()}`,
    `Message-ID: <${row.id}@retivo.local>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    `List-Unsubscribe: <${optOut}>`,
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
  try {
    writeFileSync(temp, renderEmail(row, customer, tenant, now), { mode: 0o600 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true }); // a full disk must not leave half a message behind
    throw error;
  }
  return path;
}
