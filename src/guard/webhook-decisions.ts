/**
 * Decisions coming back from the approval webhook: `POST
 * /approvals/{id}/decisions` with `{operator, decision, note?, nonce,
 * timestamp}`, signed with the webhook's secret (webhook-signature.ts). The
 * signature is what vouches for the operator, so it is checked first and a
 * bad one is audited; then the timestamp must be within five minutes and
 * the nonce new (nonces live in the store, so a replay is refused on any
 * replica). The decision then goes through the one decision function, as
 * the page's and the CLI's do: the operator must exist, the quorum and the
 * requester's exclusion apply. Every refusal is a JSON error that says what
 * to fix, and changes nothing but the spent nonce.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Logger } from "../log.js";
import type { ApprovalRow, Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { recordOperatorDecision, type DecisionOutcome } from "./decision.js";
import { auditRefusal } from "./guard-audit.js";
import { outcomeText } from "./outcome-text.js";
import type { Releaser } from "./release.js";
import { tierLine, tierViewOf } from "./tier-text.js";
import { isFresh, isValidSignature, REPLAY_WINDOW_MS, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./webhook-signature.js";
import { readSmallBody } from "./request-body.js";

export const DECISIONS_PATH = /^\/approvals\/(apr_[A-Za-z0-9_-]+)\/decisions$/;
const MAX_BODY_BYTES = 16 * 1024;

const DecisionBody = z
  .object({
    operator: z.string().min(1).max(40),
    decision: z.enum(["approve", "reject"]),
    note: z.string().max(2000).optional(),
    nonce: z.string().regex(/^[A-Za-z0-9_.:-]{16,128}$/, "16 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'"),
    timestamp: z.number().int(),
    /** Required to approve a flagged intervention: the human read why it is flagged. */
    acknowledge_flag: z.boolean().optional(),
  })
  .strict();

export interface DecisionsEndpointOptions {
  store: Store;
  logger: Logger;
  secret: string;
  releaser: Releaser;
  onAnswered?: (approvalId: string) => void;
  now?: () => Date;
}

type Refusal = { status: number; error: string; message: string };

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const STATUS_OF: Record<Extract<DecisionOutcome, { ok: false }>["reason"], number> = {
  not_found: 404,
  not_pending: 409,
  repeated: 409,
  excluded: 403,
  unknown_operator: 422,
  flag_not_acknowledged: 422,
  // Where the database holds the passphrases, only a passphrase it checks can approve: a signature cannot.
  passphrase_required: 403,
};

export function createDecisionsEndpoint(options: DecisionsEndpointOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { store, logger, secret, releaser } = options;
  const now = options.now ?? (() => new Date());

  const refuse = async (res: ServerResponse, approvalId: string, refusal: Refusal, row?: ApprovalRow, operator?: string) => {
    logger.warn({ approvalId, reason: refusal.error }, "approval webhook decision refused");
    await auditRefusal(
      store,
      "channel:webhook",
      { event: "approval_refused", actor: operator ? `unverified:webhook:${oneLine(operator, 40)}` : "unverified:webhook", ...(row ? { approval: row } : {}), detail: { via: "webhook", reason: refusal.error, approval_id: approvalId } },
      now(),
    );
    sendJson(res, refusal.status, { error: refusal.error, message: refusal.message });
  };

  return async (req, res) => {
    const approvalId = DECISIONS_PATH.exec(new URL(req.url ?? "/", "http://localhost").pathname)?.[1] ?? "";
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return sendJson(res, 405, { error: "method_not_allowed", message: "POST a signed decision here." });
    }
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      return sendJson(res, 415, { error: "unsupported_media_type", message: "Send the decision as application/json. Nothing changed." });
    }
    const raw = await readSmallBody(req, MAX_BODY_BYTES);
    if (raw === undefined) return sendJson(res, 413, { error: "body_too_large", message: `The body must be at most ${MAX_BODY_BYTES} bytes. Nothing changed.` });
    const row = await store.approvals.get(approvalId);
    const timestamp = header(req, TIMESTAMP_HEADER);
    if (!isValidSignature(secret, timestamp, raw, header(req, SIGNATURE_HEADER))) {
      return refuse(res, approvalId, {
        status: 401,
        error: "bad_signature",
        message: `The ${SIGNATURE_HEADER} header is missing or does not match: sign '<${TIMESTAMP_HEADER}>.<raw body>' with HMAC-SHA256 and RETIVO_APPROVAL_WEBHOOK_SECRET, sent as 'v1=<hex>'. Nothing changed.`,
      }, row);
    }
    const at = Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp!) || !isFresh(at, now())) {
      return refuse(res, approvalId, {
        status: 401,
        error: "stale_timestamp",
        message: `${TIMESTAMP_HEADER} must be the current time in unix seconds, within ${REPLAY_WINDOW_MS / 60_000} minutes of this server's clock (now ${Math.floor(now().getTime() / 1000)}). Nothing changed.`,
      }, row);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, { error: "invalid_body", message: "The body is not JSON. Nothing changed." });
    }
    const parsed = DecisionBody.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
      return sendJson(res, 400, { error: "invalid_body", message: `${problems}. Expected {operator, decision: "approve"|"reject", note?, nonce, timestamp, acknowledge_flag?}. Nothing changed.` });
    }
    const body = parsed.data;
    if (body.timestamp !== at) {
      return sendJson(res, 400, { error: "invalid_body", message: `The body's timestamp (${body.timestamp}) differs from ${TIMESTAMP_HEADER} (${at}); send the same value in both. Nothing changed.` });
    }
    // Kept as long as this timestamp could pass the window; claimed before deciding, so a replay racing the original loses.
    if (!(await store.webhookNonces.claim(body.nonce, new Date(at * 1000 + REPLAY_WINDOW_MS + 60_000), now()))) {
      return refuse(res, approvalId, { status: 409, error: "replayed", message: "This nonce was used before: every decision needs a new nonce (and a new signature). Nothing changed." }, row, body.operator);
    }
    const outcome = await recordOperatorDecision(store, {
      approvalId,
      operator: body.operator,
      answer: body.decision,
      channel: "webhook",
      vouchedBy: "webhook-signature",
      // Recorded as the page and the CLI record a proven denial: final for this version.
      recordedAnswer: body.decision === "reject" ? "deny" : "approve",
      note: body.note ?? null,
      acknowledgedFlag: body.acknowledge_flag ?? false,
      now: now(),
    });
    if (!outcome.ok) {
      const message = outcome.reason === "flag_not_acknowledged" ? `${outcome.message} Send "acknowledge_flag": true once the human has read why.` : outcome.message;
      return refuse(res, approvalId, { status: STATUS_OF[outcome.reason], error: outcome.reason, message }, outcome.row ?? row, body.operator);
    }
    if (body.decision === "approve") {
      await releaser.release(approvalId).catch((error: unknown) => logger.warn({ err: error, approvalId }, "releasing an approval failed; it stays approved for a retry"));
    }
    options.onAnswered?.(approvalId);
    const decided = (await store.approvals.get(approvalId)) ?? outcome.row;
    sendJson(res, 200, {
      approval_id: decided.id,
      operator: body.operator,
      decision: body.decision,
      status: decided.status,
      tier: tierLine(await tierViewOf(store, decided)),
      outcome: decided.status === "pending" ? null : outcomeText(decided),
    });
  };
}
