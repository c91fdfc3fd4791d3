/**
 * A GuardSession the test controls, for tests that call the guard in-process
 * (guard-authorize, page-http): who asks, what their client can show (a form,
 * a page link, neither) and what the human answers there; and the requests
 * such a test hands the guard.
 */
import type { ElicitRequestFormParams, ElicitRequestURLParams, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import type { GuardRequest, GuardSession } from "../../src/guard/types.js";
import type { Runtime } from "../../src/runtime.js";
import { dbOf } from "../support/sqlite.js";

export interface SessionScript {
  principal?: string;
  clientName?: string;
  form?: (params: ElicitRequestFormParams) => ElicitResult | Promise<ElicitResult>;
  url?: (params: ElicitRequestURLParams) => ElicitResult | Promise<ElicitResult>;
  signal?: AbortSignal;
}

/** A session whose client shows what `script` answers for, and nothing else. */
export function sessionOf(script: SessionScript = {}): GuardSession & { forms: ElicitRequestFormParams[]; urls: ElicitRequestURLParams[]; completed: string[] } {
  const forms: ElicitRequestFormParams[] = [];
  const urls: ElicitRequestURLParams[] = [];
  /** The elicitation ids the client was told are complete. */
  const completed: string[] = [];
  return {
    principal: script.principal ?? "local",
    client: { name: script.clientName ?? "triage-agent", version: "2.1" },
    supportsFormElicitation: script.form !== undefined,
    supportsUrlElicitation: script.url !== undefined,
    forms,
    urls,
    completed,
    async elicitForm(params) {
      forms.push(params as ElicitRequestFormParams);
      if (!script.form) throw new Error("this client shows no forms");
      return script.form(params as ElicitRequestFormParams);
    },
    async elicitUrl(params) {
      urls.push(params);
      if (!script.url) throw new Error("this client opens no pages");
      return script.url(params);
    },
    notifyUrlElicitationComplete: async (elicitationId) => void completed.push(elicitationId),
    signal: script.signal ?? new AbortController().signal,
  };
}

/** A session that is over before the page could answer: the URL channel returns at once. */
export const endedSignal = () => {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
};


/** The harness's seeded interventions in `status`, unflagged unless asked, newest first. */
export function seededIds(runtime: Runtime, status: string, flagged = false): string[] {
  return (dbOf(runtime).prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = ? AND flagged = ? ORDER BY seq DESC").all(status, flagged ? 1 : 0) as Array<{ id: string }>).map((r) => r.id);
}

/** What a guarded tool hands the guard: the action and the intervention freshly read. */
export async function guardRequestOf(runtime: Runtime, id: string, action: GuardRequest["action"] = "approve", reason?: string): Promise<GuardRequest> {
  return { action, intervention: await runtime.backend.get(id), ...(reason ? { reason } : {}) };
}
