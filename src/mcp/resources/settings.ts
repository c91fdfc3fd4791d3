/**
 * `retivo://settings` (local store only): the switches that decide whether
 * anything reaches end users (kill switch, shadow mode), the brand context
 * the writer follows and the message policy its checks enforce. The webhook secret never leaves the store; the webhook
 * URL is reduced to its origin, since URLs often carry tokens in their path or
 * query.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CatalogCapability } from "../../backend/types.js";
import type { TenantSettings } from "../../domain/catalog.js";
import { jsonResource, resourceNotFound } from "./content.js";

export const SETTINGS_URI = "retivo://settings";

export function settingsView(tenant: TenantSettings) {
  return {
    tenant: tenant.name,
    kill_switch_active: tenant.kill_switch_active,
    shadow_mode: tenant.shadow_mode,
    escalation_threshold: tenant.escalation_threshold,
    brand: tenant.brand,
    message_policy: tenant.policy,
    webhook: { configured: tenant.webhook_url !== null, origin: originOf(tenant.webhook_url), signed: tenant.webhook_secret !== null },
  };
}

function originOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export function registerSettingsResource(server: McpServer, catalog: CatalogCapability): void {
  server.registerResource(
    "settings",
    SETTINGS_URI,
    {
      title: "Tenant settings",
      description:
        "Kill switch, shadow mode, escalation threshold, brand context (tone, things to mention and avoid) and message policy (email footer, AI disclosure, emoji and link limits).",
      mimeType: "application/json",
    },
    async (uri) => {
      const tenant = await catalog.settings();
      if (!tenant) throw resourceNotFound(uri, "The local store has no tenant yet; run 'retivo-mcp seed'.");
      return jsonResource(uri, settingsView(tenant));
    },
  );
}
