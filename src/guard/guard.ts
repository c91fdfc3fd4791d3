/**
 * The approval guard as a re-entrant state machine. Each call of a guarded
 * tool finds the principal's request for exactly this action hash (or opens
 * one; any open request for an older version is voided), then:
 *   approved, not yet run → executes it now (the release loop may be first);
 *   executed              → reports it;
 *   denied by a human     → refuses: a deny is final for that version;
 *   pending               → asks the human through the best channel the
 *                           client declared, and executes as soon as they
 *                           approve.
 * A running guard also releases, every few seconds, what humans approved in
 * another process (the CLI in API mode, a page of another server), and
 * expires stale requests: the human's decision is the release.
 */
import type { BackendMode } from "../backend/types.js";
import type { Config } from "../config.js";
import { ApprovalRefusedError } from "../errors.js";
import type { Logger } from "../log.js";
import { actionFactsOf, actionHash, displayFactsOf, type Recipient } from "../domain/action-hash.js";
import { approvalPageUrl, createApprovalPageHandler } from "./approval-page.js";
import type { ApprovalRow, Store } from "../store/index.js";
import { approvalsCommand } from "./cli-command.js";
import { askByForm, pointByForm, type ChannelOutcome } from "./form-channel.js";
import { agentActor, auditRefusal, flushEndedRefusalWindows, flushRefusalSummaries, guardEvent, GUARD_TENANT } from "./guard-audit.js";
import { InterventionIdSchema } from "../api/schemas.js";
import { pageTokenFor } from "./page-token.js";
import { hasPassphrase } from "./passphrase.js";
import { operatorsConfigured } from "./operators.js";
import { isTeamTier, tierViewOf } from "./tier-text.js";
import { pendingApprovalFor } from "./pending.js";
import { ApprovalPageHost } from "./page-server.js";
import { createReleaser, type GuardedExecutor, type ReleaseOutcome, type Releaser } from "./release.js";
import { keepIfUsable, sweepApprovals } from "./sweep.js";
import { createNotices, logSink, type NoticeSink, type Notices } from "./notices.js";
import { LOCAL_PRINCIPAL, type ApprovalGuard, type ApprovalPageMount, type GuardDecision, type GuardRequest, type GuardSession } from "./types.js";
import { askByUrl, CompletionNotifiers } from "./url-channel.js";
import { oneLine } from "../text/sanitize.js";
import { tierOf, verdictFor, type Policy } from "./policy.js";
import { mentionsOffer } from "../writer/text-scan.js";

export interface GuardDeps {
  store: Store;
  config: Readonly<Config>;
  logger: Logger;
  /** Executes approved actions: the runtime's backend. */
  executor: GuardedExecutor;
  backendMode: BackendMode;
  /** Which backend that is ('local', or the API mode and URL): requests are bound to it. */
  backendId: string;
  now?: () => Date;
  /** Longest wait inside one tool call for an answer on the approval page (default 45 s). */
  urlWaitMs?: number;
  /** How often the release loop looks for approved requests (default 2 s). */
  releaseEveryMs?: number;
  /** Who the channel will address, where the store knows it (local mode), shown on human-only surfaces. */
  recipientOf?: (intervention: GuardRequest["intervention"]) => Promise<Recipient | null>;
  /** The approval policy (RETIVO_POLICY), validated at start; none keeps one anonymous human per request. */
  policy?: Policy;
  /**
   * Whether the message offers something, where the catalog says what the playbook may offer (local mode);
   * without it, a discount, price, percentage, promo code or free period in the text counts.
   */
  offersIn?: (intervention: GuardRequest["intervention"]) => Promise<boolean>;
  /** The data set the backend acts on: a test key's, or live. */
  dataSet?: "live" | "test";
  /** Where new requests, reminders, escalations and outcomes are told (default: one log line each on stderr). */
  noticeSinks?: NoticeSink[];
}

/** The guard plus its approval page, which an HTTP transport may mount. */
export interface ApprovalGuardWithPage extends ApprovalGuard {
  approvalPage: ApprovalPageMount;
}

type Channel = "form" | "url" | "form_pointer" | "terminal";

/**
 * Without a passphrase, a form's answer and the page link are only as good as
 * the client that shows them: trusted for this store's own agents (the user's
 * own client over stdio or loopback), never for a client known only by a
 * bearer token, which may be an agent's own program. Those get the terminal.
 */
function channelFor(session: GuardSession, secured: boolean): Channel {
  const passphrase = secured;
  if (passphrase) return session.supportsUrlElicitation ? "url" : session.supportsFormElicitation ? "form_pointer" : "terminal";
  if (session.principal !== LOCAL_PRINCIPAL) return "terminal";
  return session.supportsFormElicitation ? "form" : session.supportsUrlElicitation ? "url" : "terminal";
}

/** A human's refusal that stands for this version of the intervention: asking again would only ask the same question. */
function isFinalDenial(row: ApprovalRow): boolean {
  return row.status === "denied" && (row.answer === "deny" || row.answer === "decline");
}

/**
 * Async only for what is optional: the approval webhook (its sink and the
 * decisions endpoint) and the page's OIDC login (jose) are loaded where they
 * are configured, so a plain start does not pay for them.
 */
export async function createGuard(deps: GuardDeps): Promise<ApprovalGuardWithPage> {
  const { store, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const notifiers = new CompletionNotifiers();
  const webhook = config.approvalWebhook;
  const webhookSink = webhook ? (await import("./webhook-sink.js")).createWebhookSink({ store, logger, webhook, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) }) : undefined;
  const notices = createNotices(store, deps.noticeSinks ?? [logSink(logger), ...(webhookSink ? [webhookSink] : [])], logger, now);
  const releaser = withOutcomeNotices(createReleaser({ store, executor: deps.executor, backendId: deps.backendId, logger, now }), notices);
  const onAnswered = (id: string) => {
    notifiers.fire(id);
    // Releases are told by the releaser; a denial or a void made here on the page is told here.
    void store.approvals
      .get(id)
      .then((row) => (row && (row.status === "denied" || row.status === "void") ? notices.emit("outcome", row) : undefined))
      .catch((error: unknown) => logger.warn({ err: error, approvalId: id }, "could not tell the outcome of a page answer"));
  };
  const login = config.pageLogin ? (await import("./page-login.js")).createPageLogin(config.pageLogin) : undefined;
  // The handler asks the host (declared next; asked only once requests arrive) for the public base URL the transport mounted it behind.
  const handler = createApprovalPageHandler({
    store,
    logger,
    now,
    releaser,
    onAnswered,
    publicBase: () => pages.publicBase(),
    ...(login ? { login, baseUrl: () => pages.baseUrl() } : {}),
  });
  const pages = new ApprovalPageHost(handler);
  const decisions = webhook ? (await import("./webhook-decisions.js")).createDecisionsEndpoint({ store, logger, now, releaser, secret: webhook.secret, onAnswered }) : undefined;
  const cli = approvalsCommand(config.dbPath);
  let loop: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  const refuse = async (
    row: ApprovalRow | undefined,
    request: GuardRequest,
    session: GuardSession,
    message: string,
    hint = "Do not retry on your own: ask the human whether they still want this.",
  ): Promise<never> => {
    await auditRefusal(store, session.principal, {
      event: "approval_refused",
      actor: agentActor(session.client),
      interventionId: request.intervention.id,
      ...(row ? { approval: row } : {}),
      detail: { reason: message, action: request.action, client: `${session.client.name} ${session.client.version}`.slice(0, 200) },
    });
    throw new ApprovalRefusedError(message, hint);
  };

  /** A human's denial of this version, with their note: final until the intervention changes. */
  const refuseDenied = (row: ApprovalRow, request: GuardRequest, session: GuardSession): Promise<never> => {
    const note = row.note ? ` Their note: "${oneLine(row.note, 300)}".` : "";
    return refuse(row, request, session, `A human denied this ${request.action} of ${request.intervention.id} (request ${row.id}, ${row.decided_by ?? "human"}).${note} Nothing changed; it stays denied unless the intervention changes.`);
  };

  /** What a release outcome means for the calling tool. */
  const decided = async (outcome: ReleaseOutcome, request: GuardRequest, session: GuardSession): Promise<GuardDecision> => {
    const row = outcome.row;
    if (outcome.kind === "executed" || row?.status === "executed") {
      return { kind: "executed", approvalId: row!.id, status: outcome.kind === "executed" ? outcome.status : targetOf(request), decidedBy: row!.decided_by ?? "human" };
    }
    if (outcome.kind === "failed") {
      return refuse(row, request, session, `A human approved this, but executing it failed: ${oneLine(outcome.error, 300)}. Nothing changed.`);
    }
    if (outcome.kind === "void" && outcome.reached) return { kind: "already", status: outcome.reached };
    if (outcome.kind === "void") {
      return refuse(
        row,
        request,
        session,
        `The approval request ${row!.id} is void: ${oneLine(outcome.why, 300).replace(/[.\s]+$/, "")}. Nothing changed.`,
        "If it is still wanted, call again: the human will be asked about the current version.",
      );
    }
    return refuse(row, request, session, `Approval request ${row?.id ?? "(unknown)"} is ${row?.status ?? "gone"}. Nothing changed.`);
  };

  const ask = async (row: ApprovalRow, session: GuardSession, pageUrl: () => Promise<string>): Promise<ChannelOutcome> => {
    const channel = row.channel as Channel;
    if (channel === "form") return askByForm(store, row, session);
    if (channel === "terminal") return { kind: "pending" };
    const url = await pageUrl();
    if (channel === "url") return askByUrl({ store, row, url, session, notifiers, waitMs: deps.urlWaitMs ?? 45_000 });
    return pointByForm(store, row, session, cli ? `open ${url} or run \`${cli(`approve ${row.id}`)}\` in a terminal` : `open ${url}`);
  };

  /** The principal's request for exactly this version, after closing every stale one. */
  const requestFor = async (request: GuardRequest, session: GuardSession, hash: string): Promise<ApprovalRow | undefined> => {
    const at = now();
    for (const row of await store.approvals.requestsOf(request.intervention.id, request.action, session.principal)) await keepIfUsable(store, row, hash, at);
    // An executed request never matches: the intervention is not at the target (the tool checked), so
    // whatever executed it then, this is a later pass through the same state, and the human decides anew.
    return (await store.approvals.requestsOf(request.intervention.id, request.action, session.principal)).find(
      (row) => row.action_hash === hash && (row.status === "pending" || row.status === "approved" || isFinalDenial(row)),
    );
  };

  /** The page link, for the team's notices: only where the page demands proof (a passphrase), since otherwise the link itself approves. */
  const teamPageUrl = async (row: ApprovalRow): Promise<string | undefined> =>
    (await isSecured(store)) ? approvalPageUrl(await pages.baseUrl(), row.id, await pageTokenFor(store, row.id)) : undefined;

  const tick = async () => {
    await releaser.releaseAll();
    await sweepApprovals(store, now(), notices, teamPageUrl);
    await flushEndedRefusalWindows(store, now());
  };

  return {
    approvalPage: { handler, mount: (baseUrl, publicBase) => pages.mount(baseUrl, publicBase), baseUrl: () => pages.baseUrl() },
    ...(decisions ? { decisionsEndpoint: decisions } : {}),

    async authorize(request, session) {
      if (config.approval.policy === "deny") {
        return refuse(undefined, request, session,
          `Guarded actions are disabled for agents on this server (RETIVO_APPROVAL=deny): ${request.action} of ${request.intervention.id} was refused, ` +
            "and no approval request was created, so there is nothing to approve with `retivo-mcp approvals`. " +
            "A human must do it themselves, outside the agent: through the local REST server (`retivo-mcp api`) or the Retivo dashboard. " +
            "(Only if the operator restarts this server with RETIVO_APPROVAL=elicit do calls open approval requests again.)");
      }
      const facts = actionFactsOf(request.action, request.intervention, request.reason);
      const hash = actionHash(facts);
      let row = await requestFor(request, session, hash);
      if (row && isFinalDenial(row)) return refuseDenied(row, request, session);
      if (row?.status === "approved") return decided(await releaser.release(row.id), request, session);
      // The agent's last request for this very version ran out: this call says so, and asks anew.
      const lapsed = row ? undefined : (await store.approvals.requestsOf(request.intervention.id, request.action, session.principal)).find((r) => r.action_hash === hash);
      if (!row) {
        // The tier is decided once, here, and stored with the request: editing the policy never changes an open one.
        const verdict = verdictFor(deps.policy, {
          action: request.action,
          dataSet: deps.dataSet ?? "live",
          channel: request.intervention.channel,
          offers: (await deps.offersIn?.(request.intervention)) ?? mentionsOffer(`${request.intervention.subject ?? ""}\n${request.intervention.message_body}`),
          flagged: request.intervention.flagged,
          playbookId: request.intervention.playbook_id,
          principal: session.principal,
        });
        if (verdict.kind === "deny") {
          return refuse(undefined, request, session,
            `The approval policy refuses this ${request.action} of ${request.intervention.id} (rule "${oneLine(verdict.rule, 80)}": ${oneLine(verdict.reason, 300)}). No approval request was created; nothing changed.`,
            "Do not retry: a human must do it themselves, outside the agent, if it is wanted.");
        }
        const requesterOperator = deps.policy?.principals[session.principal] ?? (await store.operators.ofPrincipal(session.principal))?.name ?? null;
        const recipient = (await deps.recipientOf?.(request.intervention)) ?? null;
        row = await store.approvals.insert(
          {
            tenantId: GUARD_TENANT,
            facts,
            display: displayFactsOf(request.intervention, recipient),
            hash,
            principal: session.principal,
            client: session.client,
            backendId: deps.backendId,
            channel: channelFor(session, await isSecured(store)),
            now: now(),
            ttlMs: verdict.ttlMs ?? config.approval.ttlMs,
            tier: tierOf(verdict, requesterOperator),
          },
          (inserted) =>
            guardEvent({
              event: "approval_requested",
              actor: agentActor(session.client),
              approval: inserted,
              detail: {
                backend: deps.backendMode,
                principal: session.principal,
                ...(verdict.rule === null ? {} : { rule: verdict.rule, required_approvals: verdict.required, excluded_operator: inserted.excluded_operator }),
              },
            }),
        );
        await notices.emit("requested", row, await teamPageUrl(row));
      }
      const opened = row;
      const pageUrl = async () => approvalPageUrl(await pages.baseUrl(), opened.id, await pageTokenFor(store, opened.id));
      const outcome = await ask(row, session, pageUrl);
      if (outcome.kind === "refused") return refuse(await store.approvals.get(row.id), request, session, outcome.message);
      if (outcome.kind === "pending" && outcome.note) logger.info({ approvalId: row.id }, outcome.note);
      const latest = (await store.approvals.get(row.id)) ?? row;
      // A human denied it (in the terminal, say) while this call asked: the agent hears it as the denial it is.
      if (isFinalDenial(latest)) return refuseDenied(latest, request, session);
      if (latest.status !== "pending") return decided(await releaser.release(row.id), request, session);
      // The link reaches the model here, so it is offered only when the page demands the passphrase.
      const shownUrl = (await isSecured(store)) && latest.channel !== "url" ? await pageUrl() : null;
      const tier = await tierViewOf(store, latest);
      const pending = pendingApprovalFor(latest, shownUrl, cli, isTeamTier(tier) ? tier : undefined);
      return { kind: "pending", pending: lapsed?.status === "expired" ? { ...pending, replaces: { approval_id: lapsed.id, outcome: lapsed.outcome ?? "expired" } } : pending };
    },

    async releasedBy(action, interventionId) {
      const row = await store.approvals.lastExecuted(interventionId, action);
      return row ? { approvalId: row.id, decidedBy: row.decided_by ?? "human", executedAt: row.executed_at ?? row.decided_at ?? row.created_at } : undefined;
    },

    async recordRefusedArguments(toolName, args, unknownKeys, session) {
      const given = args !== null && typeof args === "object" ? (args as Record<string, unknown>) : {};
      const claimed = InterventionIdSchema.safeParse(given.intervention_id);
      await auditRefusal(store, session.principal, {
        event: "approval_refused",
        actor: agentActor(session.client),
        interventionId: claimed.success ? claimed.data : null,
        // Names only, few and short: the values an agent sends prove nothing and may be huge or hostile.
        detail: {
          tool: toolName,
          reason: "invalid arguments",
          unknown_arguments: unknownKeys.slice(0, 10).map((key) => key.slice(0, 64)),
          unknown_argument_count: unknownKeys.length,
        },
      });
    },

    start() {
      if (loop) return;
      loop = setInterval(() => {
        ticking ??= tick()
          .catch((error: unknown) => logger.warn({ err: error }, "approval release loop failed; retrying"))
          .finally(() => (ticking = undefined));
      }, deps.releaseEveryMs ?? 2000);
      loop.unref();
    },

    async close() {
      if (loop) clearInterval(loop);
      loop = undefined;
      await ticking;
      await flushRefusalSummaries(store, now());
      notifiers.clear();
      await webhookSink?.close();
      await pages.close();
    },
  };
}

/** The team hears what a release did: executed, failed, or void. */
function withOutcomeNotices(releaser: Releaser, notices: Notices): Releaser {
  const told = async (outcome: ReleaseOutcome): Promise<ReleaseOutcome> => {
    if (outcome.kind !== "not_approved") await notices.emit("outcome", outcome.row);
    return outcome;
  };
  return {
    release: async (approvalId) => told(await releaser.release(approvalId)),
    releaseAll: async () => Promise.all((await releaser.releaseAll()).map(told)),
  };
}

/** A passphrase or named operators: answers must then be proven on the page or in the terminal, never by a form. */
async function isSecured(store: Store): Promise<boolean> {
  return (await hasPassphrase(store)) || (await operatorsConfigured(store));
}

function targetOf(request: GuardRequest): string {
  return request.action === "approve" ? "approved" : "rolled_back";
}
