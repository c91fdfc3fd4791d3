/**
 * The seam between guarded tools (approve, rollback) and the human approval
 * protocol (DESIGN.md, "Human approval"). A tool asks `authorize`; the guard
 * answers executed (a human approved and the action ran, during this call or
 * since the last one), pending (the tool returns `pending_approval`), or
 * throws ApprovalRefusedError. Re-entrant: a request belongs to the action and
 * the requesting principal, so a later call, from this process or a new one,
 * finds it and reports what the human decided.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ElicitRequestFormParams, ElicitRequestURLParams, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import type { DetailedIntervention } from "../api/schemas.js";

export type { GuardedAction } from "../domain/status-machine.js";
import type { GuardedAction } from "../domain/status-machine.js";

/** The principal of this store's own agents: stdio and in-process clients, and HTTP without a token. */
export const LOCAL_PRINCIPAL = "local";

/** The backend id of requests made over the local store, which the CLI can execute itself. */
export const LOCAL_BACKEND = "local";

export interface GuardRequest {
  action: GuardedAction;
  /** Freshly read just before asking. */
  intervention: DetailedIntervention;
  /** Rollback reason, part of what the human approves. */
  reason?: string;
}

/** What the guard may use of the MCP session that made the call. */
export interface GuardSession {
  /**
   * Who asks: the identity of the HTTP credential (bearer token, later an
   * OAuth subject), or 'local' for this store's own agents (stdio, in-process).
   * Requests are found again by principal, never by transport session.
   */
  principal: string;
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
  /** The earlier request for this very action that expired: the agent is told, and this one asks anew. */
  replaces?: { approval_id: string; outcome: string };
}

export type GuardDecision =
  /** A human approved and the action ran: the intervention is now `status`. */
  | { kind: "executed"; approvalId: string; status: string; decidedBy: string }
  /** The intervention reached the target another way (another approval, an operator) meanwhile. */
  | { kind: "already"; status: string }
  | { kind: "pending"; pending: PendingApproval };

/**
 * The local approval page. An HTTP transport that listens on loopback serves
 * `handler` for every path under /approvals/ and calls `mount` with its base
 * URL; otherwise the guard starts its own loopback listener when first needed.
 */
export interface ApprovalPageMount {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** `publicBase`: the URL clients reach the server at behind a load balancer (RETIVO_PUBLIC_URL); links name it. */
  mount(baseUrl: string, publicBase?: string): void;
  baseUrl(): Promise<string>;
}

/** How an intervention reached a guarded target status, when a human's approval did it. */
export interface ReleasedBy {
  approvalId: string;
  decidedBy: string;
  executedAt: string;
}

export interface ApprovalGuard {
  authorize(request: GuardRequest, session: GuardSession): Promise<GuardDecision>;
  /** The executed approval that moved an intervention to the action's target, if one did. */
  releasedBy(action: GuardedAction, interventionId: string): Promise<ReleasedBy | undefined>;
  /**
   * Audits a guarded call refused for its arguments before reaching the guard:
   * extra arguments there are attempts to approve on the human's behalf.
   */
  recordRefusedArguments(toolName: string, args: unknown, unknownKeys: string[], session: GuardSession): Promise<void>;
  /**
   * With the approval webhook configured: `POST /approvals/{id}/decisions`,
   * signed decisions from where the team works. Served by the HTTP transport
   * on any address (the signature, not the network, vouches for it).
   */
  decisionsEndpoint?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Present on the real guard: see ApprovalPageMount. */
  approvalPage?: ApprovalPageMount;
  /** Starts the loop that releases approved requests and expires stale ones. */
  start?(): void;
  close?(): Promise<void>;
}
