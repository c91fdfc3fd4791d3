/**
 * The seam between guarded tools (approve, rollback) and the human approval
 * protocol (DESIGN.md, "Human approval"). A tool asks `authorize`; the guard
 * answers approved (with the preconditions and the consume step the backend
 * must apply atomically with the transition), pending (the tool returns
 * `pending_approval`), or throws ApprovalRefusedError. Re-entrant: calling the
 * tool again after a human approved elsewhere finds the approval and proceeds.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ElicitRequestFormParams, ElicitRequestURLParams, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import type { DetailedIntervention } from "../api/schemas.js";
import type { GuardedActionOptions } from "../backend/types.js";

export type GuardedAction = "approve" | "rollback";

export interface GuardRequest {
  action: GuardedAction;
  /** Freshly read just before asking. */
  intervention: DetailedIntervention;
  /** Rollback reason, part of what the human approves. */
  reason?: string;
}

/** What the guard may use of the MCP session that made the call. */
export interface GuardSession {
  /** Stable id of the MCP session (HTTP) or process (stdio): approvals never cross sessions. */
  sessionId: string;
  client: { name: string; version: string };
  supportsFormElicitation: boolean;
  supportsUrlElicitation: boolean;
  elicitForm(params: Omit<ElicitRequestFormParams, "mode"> & { mode?: "form" }): Promise<ElicitResult>;
  elicitUrl(params: ElicitRequestURLParams): Promise<ElicitResult>;
  /** Tells a URL-mode client the out-of-band interaction finished. */
  notifyUrlElicitationComplete(elicitationId: string): Promise<void>;
  signal: AbortSignal;
}

export interface PendingApproval {
  status: "pending_approval";
  approval_id: string;
  action: GuardedAction;
  intervention_id: string;
  expires_at: string;
  /** For the human, shown by the agent verbatim. */
  instructions: string;
  approval_url: string | null;
}

export type GuardDecision =
  | { kind: "approved"; approvalId: string; options: GuardedActionOptions; channel: string }
  | { kind: "pending"; pending: PendingApproval };

/**
 * The local approval page. An HTTP transport that listens on loopback serves
 * `handler` for every path under /approvals/ and calls `mount` with its base
 * URL; otherwise the guard starts its own loopback listener when first needed.
 */
export interface ApprovalPageMount {
  handler(req: IncomingMessage, res: ServerResponse): void;
  mount(baseUrl: string): void;
  baseUrl(): Promise<string>;
}

export interface ApprovalGuard {
  authorize(request: GuardRequest, session: GuardSession): Promise<GuardDecision>;
  /**
   * Audits a guarded call refused for its arguments before reaching the guard:
   * extra arguments there are attempts to approve on the human's behalf.
   */
  recordRefusedArguments(toolName: string, args: unknown, unknownKeys: string[], session: GuardSession): void;
  /** Records the outcome after the backend call (executed or failed). */
  recordOutcome(approvalId: string, outcome: { ok: true; status: string } | { ok: false; error: string }): void;
  /** Present on the real guard: see ApprovalPageMount. */
  approvalPage?: ApprovalPageMount;
  close?(): Promise<void>;
}
