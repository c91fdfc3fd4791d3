/**
 * Probes for orchestrators and load balancers. `/healthz` answers while the
 * process serves requests; `/readyz` also asks the backend (the SQLite store
 * or the Retivo API) and whether a new session would find room, and says why
 * it is not ready, without secrets.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InterventionsBackend } from "../../backend/types.js";
import { sendJson } from "./responses.js";
import type { Saturation } from "./sessions.js";

export const HEALTH_PATHS = new Set(["/healthz", "/readyz"]);

export interface HealthDeps {
  backend: Pick<InterventionsBackend, "ping" | "mode">;
  /** Values that must never appear in a reason (API key, MCP token). */
  secrets: readonly string[];
  isDraining: () => boolean;
  /** How full the session registry is. */
  sessions?: () => Saturation;
  pingTimeoutMs?: number;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(error: unknown, secrets: readonly string[]): string {
  let text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  for (const secret of secrets) if (secret) text = text.split(secret).join("[redacted]");
  return text.slice(0, 300);
}

export function healthHandler(deps: HealthDeps): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  return async (req, res, path) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "use GET" }, { allow: "GET, HEAD" });
      return;
    }
    if (path === "/healthz") {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (deps.isDraining()) {
      // Tell the load balancer to stop routing here before the listener goes away.
      sendJson(res, 503, { status: "unavailable", reason: "shutting down" });
      return;
    }
    const saturation = deps.sessions?.();
    const sessions = saturation && { open: saturation.open, max: saturation.max, in_use: saturation.in_use };
    if (saturation?.saturated) {
      sendJson(res, 503, {
        status: "saturated",
        backend: deps.backend.mode,
        sessions,
        reason: `all ${saturation.max} sessions have a request in flight: a new client would be refused until one finishes`,
      });
      return;
    }
    try {
      await withTimeout(deps.backend.ping(), deps.pingTimeoutMs ?? 3000);
      sendJson(res, 200, { status: "ready", backend: deps.backend.mode, ...(sessions ? { sessions } : {}) });
    } catch (error) {
      sendJson(res, 503, { status: "unavailable", backend: deps.backend.mode, reason: reasonOf(error, deps.secrets) });
    }
  };
}
