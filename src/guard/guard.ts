/**
 * The approval guard as a re-entrant state machine. Each call of a guarded
 * tool: find this session's open request for exactly this action hash (an
 * approved one is used; a stale one is closed), else open a new one, then ask
 * the human through the best channel the client declared. Approved decisions
 * carry `verify` and `consumeApproval`, which the backend runs atomically with
 * the transition, so a changed intervention or a replay can never execute.
 */
import type { Db } from "../backend/local/store.js";
import type { BackendMode, GuardedActionOptions } from "../backend/types.js";
import type { Config } from "../config.js";
import { ApprovalRefusedError } from "../errors.js";
import type { Logger } from "../log.js";
import { actionFactsOf, actionHash, displayFactsOf } from "./action-hash.js";
import { approvalPageUrl, createApprovalPageHandler } from "./approval-page.js";
import { consumeApprovalRow, getApproval, insertApproval, openApprovalsFor, rotatePageToken, type ApprovalRow } from "./approvals-store.js";
import { askByForm, pointByForm, type ChannelOutcome } from "./form-channel.js";
import { agentActor, auditGuard, GUARD_TENANT } from "./guard-audit.js";
import { hasPassphrase } from "./passphrase.js";
import { InterventionIdSchema } from "../api/schemas.js";
import { approvalsCommand } from "./cli-command.js";
import { pendingApprovalFor } from "./pending.js";
import { ApprovalPageHost } from "./page-server.js";
import { keepIfUsable } from "./sweep.js";
import type { ApprovalGuard, ApprovalPageMount, GuardDecision, GuardRequest, GuardSession } from "./types.js";
import { askByUrl, CompletionNotifiers } from "./url-channel.js";

export interface GuardDeps {
  db: Db;
  config: Readonly<Config>;
  logger: Logger;
  backendMode: BackendMode;
  now?: () => Date;
  /** Longest wait inside one tool call for an answer on the approval page (default 45 s). */
  urlWaitMs?: number;
}

/** The guard plus its approval page, which an HTTP transport may mount. */
export interface ApprovalGuardWithPage extends ApprovalGuard {
  approvalPage: ApprovalPageMount;
}

type Channel = "form" | "url" | "form_pointer" | "terminal";

function channelFor(session: GuardSession, passphrase: boolean): Channel {
  if (passphrase) return session.supportsUrlElicitation ? "url" : session.supportsFormElicitation ? "form_pointer" : "terminal";
  return session.supportsFormElicitation ? "form" : session.supportsUrlElicitation ? "url" : "terminal";
}

export function createGuard(deps: GuardDeps): ApprovalGuardWithPage {
  const { db, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const notifiers = new CompletionNotifiers();
  const handler = createApprovalPageHandler({ db, logger, now, onAnswered: (id) => notifiers.fire(id) });
  const pages = new ApprovalPageHost(handler);

  // Refusal audits raised inside the backend's transaction must outlive its rollback.
  const auditAfterRollback = (row: ApprovalRow, interventionId: string, reason: string) =>
    queueMicrotask(() =>
      auditGuard(db, { event: "approval_refused", actor: "system:guard", interventionId, approval: row, detail: { reason, approved_for: row.intervention_id } }),
    );

  const refuse = (row: ApprovalRow | undefined, request: GuardRequest, session: GuardSession, message: string): never => {
    auditGuard(db, {
      event: "approval_refused",
      actor: agentActor(session.client),
      interventionId: request.intervention.id,
      ...(row ? { approval: row } : {}),
      detail: { reason: message, action: request.action, client: `${session.client.name} ${session.client.version}` },
    });
    throw new ApprovalRefusedError(message, "Do not retry on your own: ask the human whether they still want this.");
  };

  const approved = (row: ApprovalRow, request: GuardRequest): GuardDecision => {
    const via = (row.decided_by ?? "human:unknown").replace(/^human:/, "");
    const options: GuardedActionOptions = {
      actor: `human:${via} (approval ${row.id}; requested by ${row.client_name} ${row.client_version})`,
      verify: (current) => {
        if (actionHash(actionFactsOf(request.action, current, request.reason)) === row.action_hash) return;
        auditAfterRollback(row, current.id, current.id === row.intervention_id ? "changed_since_approval" : "approval_for_another_intervention");
        throw new ApprovalRefusedError(
          `${current.id} changed since the human approved it (message, status, version or flag differ), so the approval no longer applies. Nothing changed.`,
          "Ask again: call the tool once more so the human sees the current version.",
        );
      },
      consumeApproval: () => {
        if (consumeApprovalRow(db, row.id, now())) return;
        auditAfterRollback(row, row.intervention_id, "approval_already_used_or_expired");
        throw new ApprovalRefusedError(`Approval ${row.id} was already used or has expired. Nothing changed.`, "Call the tool again to ask the human anew.");
      },
    };
    return { kind: "approved", approvalId: row.id, options, channel: via };
  };

  const ask = async (row: ApprovalRow, session: GuardSession, pageUrl: () => Promise<string>): Promise<ChannelOutcome> => {
    const channel = row.channel as Channel;
    if (channel === "form") return askByForm(db, row, session);
    if (channel === "terminal") return { kind: "pending" };
    const url = await pageUrl();
    if (channel === "url") return askByUrl({ db, row, url, session, notifiers, waitMs: deps.urlWaitMs ?? 45_000 });
    const cli = approvalsCommand(config.dbPath);
    return pointByForm(db, row, session, cli ? `open ${url} or run \`${cli(`approve ${row.id}`)}\` in a terminal` : `open ${url}`);
  };

  return {
    approvalPage: { handler, mount: (baseUrl) => pages.mount(baseUrl), baseUrl: () => pages.baseUrl() },

    async authorize(request, session) {
      if (config.approval.policy === "deny") {
        refuse(undefined, request, session,
          `Guarded actions are disabled for agents on this server (RETIVO_APPROVAL=deny): ${request.action} of ${request.intervention.id} was refused, ` +
            "and no approval request was created, so there is nothing to approve with `retivo-mcp approvals`. " +
            "A human must do it themselves, outside the agent: through the local REST server (`retivo-mcp api`) or the Retivo dashboard. " +
            "(Only if the operator restarts this server with RETIVO_APPROVAL=elicit do calls open approval requests again.)");
      }
      const facts = actionFactsOf(request.action, request.intervention, request.reason);
      const hash = actionHash(facts);
      const at = now();
      const open = openApprovalsFor(db, facts.intervention_id, request.action, session.sessionId).filter((row) => keepIfUsable(db, row, hash, at));
      const ready = open.find((row) => row.status === "approved");
      if (ready) return approved(ready, request);
      let row = open[0];
      if (!row) {
        row = insertApproval(db, {
          tenantId: GUARD_TENANT,
          facts,
          display: displayFactsOf(request.intervention),
          hash,
          sessionId: session.sessionId,
          client: session.client,
          channel: channelFor(session, hasPassphrase(db)),
          now: at,
          ttlMs: config.approval.ttlMs,
        }).row;
        auditGuard(db, { event: "approval_requested", actor: agentActor(session.client), approval: row, detail: { backend: deps.backendMode, session: session.sessionId } });
      }
      // One fresh one-time link per call: issuing one voids the link of an earlier call.
      let link: Promise<string> | undefined;
      const opened = row;
      const pageUrl = () => (link ??= pages.baseUrl().then((base) => approvalPageUrl(base, opened.id, rotatePageToken(db, opened.id))));
      const outcome = await ask(row, session, pageUrl);
      if (outcome.kind === "refused") return refuse(getApproval(db, row.id), request, session, outcome.message);
      const latest = getApproval(db, row.id) ?? row;
      if (outcome.kind === "approved" || latest.status === "approved") return approved(latest, request);
      if (outcome.note) logger.info({ approvalId: row.id }, outcome.note);
      if (latest.status !== "pending") return refuse(latest, request, session, `Approval request ${row.id} is ${latest.status}. Nothing changed.`);
      // The link reaches the model here, so it is offered only when the page demands the passphrase.
      const shownUrl = hasPassphrase(db) && latest.channel !== "url" ? await pageUrl() : null;
      return { kind: "pending", pending: pendingApprovalFor(latest, shownUrl, approvalsCommand(config.dbPath)) };
    },

    recordRefusedArguments(toolName, args, unknownKeys, session) {
      const given = args !== null && typeof args === "object" ? (args as Record<string, unknown>) : {};
      const claimed = InterventionIdSchema.safeParse(given.intervention_id);
      auditGuard(db, {
        event: "approval_refused",
        actor: agentActor(session.client),
        interventionId: claimed.success ? claimed.data : null,
        // Names only, few and short: the values an agent sends prove nothing and may be huge or hostile.
        detail: {
          tool: toolName,
          reason: "invalid arguments",
          unknown_arguments: unknownKeys.slice(0, 10).map((key) => key.slice(0, 64)),
          unknown_argument_count: unknownKeys.length,
          session: session.sessionId.slice(0, 100),
        },
      });
    },

    recordOutcome(approvalId, outcome) {
      const row = getApproval(db, approvalId);
      if (!row) return;
      // A transition that turned out to be a no-op (another call got there first) spent nothing.
      const executed = outcome.ok && row.consumed_at !== null;
      auditGuard(db, {
        event: executed ? "approval_executed" : outcome.ok ? "approval_unused" : "approval_execution_failed",
        actor: "system:guard",
        approval: row,
        detail: outcome.ok ? { status: outcome.status, decided_by: row.decided_by, note: row.note } : { error: outcome.error },
      });
    },

    async close() {
      notifiers.clear();
      await pages.close();
    },
  };
}
