/**
 * LocalBackend: the eight operations over the embedded SQLite store, behaving
 * as domain.md fixes. Every change is one IMMEDIATE transaction: read, check
 * the status machine, compare-and-set, audit. Nothing is half-applied.
 */
import {
  ReasonSchema,
  type CreateRequest,
  type CreateResponse,
  type DetailedIntervention,
  type DryRunRequest,
  type DryRunResponse,
  type FlagResponse,
  type Provenance,
  type StatusResponse,
} from "../../api/schemas.js";
import { ConflictError, DeadlineExceededError, InvalidInputError, NotFoundError, RetivoError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Writer } from "../../writer/types.js";
import type {
  BackendMode,
  GuardedActionOptions,
  InterventionsBackend,
  ListPage,
  ListQuery,
  OperationContext,
} from "../types.js";
import { appendAudit } from "./audit.js";
import { getCustomer, getTenant } from "./catalog.js";
import { consentProblem, consentRefusal, flagForConsent } from "./consent.js";
import { decide } from "./decide.js";
import { deliveryOutcomeOf } from "./deliveries.js";
import { rememberCreate, rememberedCreate, requestHashOf } from "./idempotency-keys.js";
import {
  compareAndSet,
  findRow,
  insertRow,
  listCompactRows,
  listRows,
  newInterventionId,
  toIntervention,
  type InterventionRow,
  type RowChanges,
} from "./interventions-repo.js";
import { planTransition, type Action } from "./lifecycle.js";
import { retractInTransaction } from "./retract.js";
import type { Db } from "./store.js";
import { vetManualCreate } from "./vet-create.js";
import { writerInputFor } from "./writer-input.js";
import { writeChecked } from "../../writer/index.js";
import type { CompactIntervention } from "../../api/compact.js";
import { draftPreview } from "../preview.js";

export interface LocalBackendOptions {
  db: Db;
  /** 'live' for the MCP server; the REST server also serves 'test' to test keys. */
  tenantId: string;
  writer: Writer;
  logger: Logger;
  /** Called after a rollback commits, to retract what the channel can (webhook events). */
  onRolledBack?: (intervention: DetailedIntervention) => void;
  now?: () => Date;
}

const SYSTEM_ACTOR = "system";

/**
 * Dry-run and create share the writer's variation key, so a previewed draft
 * reads exactly like the intervention a create then makes.
 */
function draftKey(userId: string, playbookId: string, channel: string): string {
  return `${userId}:${playbookId}:${channel}`;
}

/** What the audit log keeps of who wrote the text: enough to disclose it, without the prompt. */
function provenanceSummary(p: Provenance) {
  return { generated: p.generated === true, provider: p.provider, model: p.model, prompt_hash: p.prompt_hash };
}

/** Every caller validates reasons too; the store refuses a blank one whoever calls it. */
function requireReason(action: string, reason: string): string {
  const parsed = ReasonSchema.safeParse(reason);
  if (!parsed.success) {
    const custom = parsed.error.issues.find((issue) => issue.code === "custom");
    if (custom) throw new InvalidInputError(`${action}: reason: ${custom.message}.`, "Fix the reason, then call again; nothing was changed.");
    throw new InvalidInputError(`${action} needs a reason: a sentence of 1-2000 characters.`, "Say why, then call again.");
  }
  return parsed.data;
}

/** The API's `{ id, status }`, without our internal bookkeeping. */
function statusOf(result: { id: string; status: string }): StatusResponse {
  return { id: result.id, status: result.status };
}

export class LocalBackend implements InterventionsBackend {
  readonly mode: BackendMode = "local";
  private readonly db: Db;
  private readonly tenantId: string;
  private readonly now: () => Date;

  constructor(private readonly options: LocalBackendOptions) {
    this.db = options.db;
    this.tenantId = options.tenantId;
    this.now = options.now ?? (() => new Date());
  }

  async list(query: ListQuery): Promise<ListPage> {
    return listRows(this.db, this.tenantId, query);
  }

  async listCompact(query: ListQuery): Promise<ListPage<CompactIntervention>> {
    return listCompactRows(this.db, this.tenantId, query);
  }

  async get(id: string): Promise<DetailedIntervention> {
    const intervention = toIntervention(this.requireRow(id));
    const deliveryOutcome = deliveryOutcomeOf(this.db, id);
    return deliveryOutcome ? { ...intervention, delivery_outcome: deliveryOutcome } : intervention;
  }

  async create(request: CreateRequest, context?: OperationContext): Promise<CreateResponse> {
    const key = context?.idempotencyKey;
    const requestHash = key === undefined ? undefined : requestHashOf(request);
    const earlier = key === undefined ? undefined : this.replayOf(key, requestHash!);
    if (earlier) return earlier;
    const { customer, playbook, objection, decision } = vetManualCreate(this.db, this.tenantId, request, this.now());
    const tenant = getTenant(this.db, this.tenantId)!;
    const id = newInterventionId();
    const now = this.now();
    // The LLM call happens outside the transaction: a slow model must not hold the write lock.
    const written = await writeChecked(
      this.options.writer,
      writerInputFor({ customer, playbook, tenant, channel: request.channel, purpose: "intervention", variationKey: draftKey(customer.id, playbook.id, request.channel), now }),
      context?.writer,
    );
    // A caller that gave up while the message was written (deadline, cancellation) gets nothing it would not know of.
    const signal = context?.signal;
    if (signal?.aborted) {
      throw signal.reason instanceof RetivoError
        ? signal.reason
        : new DeadlineExceededError("The client cancelled the call before the intervention was stored; nothing was created.");
    }
    const createdAt = this.now().toISOString();
    // A failed quality check names the problem in the text itself, so it leads; the engine's objection follows.
    const flagged = written.flagged || Boolean(objection);
    const flagReason = [written.flag_reason, objection].filter((reason) => reason).join("; ") || null;
    // flagged and flag_reason extend the API's answer, so the caller learns at once what needs a closer look.
    const created: CreateResponse = { id, status: "planned", channel: request.channel, planned_at: createdAt, flagged, flag_reason: flagReason };
    return this.db
      .transaction((): CreateResponse => {
        // A request with the same key that committed while this one was writing wins; this one adds nothing.
        const raced = key === undefined ? undefined : this.replayOf(key, requestHash!);
        if (raced) return raced;
        insertRow(this.db, {
          id,
          tenant_id: this.tenantId,
          user_id: customer.id,
          playbook_id: playbook.id,
          status: "planned",
          channel: request.channel,
          subject: written.output.subject,
          message_body: written.output.message_body,
          reasoning: written.output.reasoning,
          confidence: written.output.confidence,
          planned_at: createdAt,
          flagged: flagged ? 1 : 0,
          flag_reason: flagReason,
          quality_checks: JSON.stringify(written.quality_checks),
          origin: "manual",
          provenance: JSON.stringify(written.output.provenance),
          created_at: createdAt,
        });
        appendAudit(this.db, {
          tenant_id: this.tenantId,
          event: "created",
          intervention_id: id,
          actor: context?.actor ?? SYSTEM_ACTOR,
          detail: { channel: request.channel, playbook_id: playbook.id, flagged, decision, provenance: provenanceSummary(written.output.provenance) },
        });
        if (key !== undefined) rememberCreate(this.db, this.tenantId, key, requestHash!, created, this.now());
        return created;
      })
      .immediate();
  }

  /** The first answer to this Idempotency-Key (marked as a replay), or undefined; another request under it is a conflict. */
  private replayOf(key: string, requestHash: string): CreateResponse | undefined {
    const remembered = rememberedCreate(this.db, this.tenantId, key, this.now());
    if (!remembered) return undefined;
    if (remembered.requestHash !== requestHash) {
      throw new ConflictError(
        `Idempotency-Key '${key}' was already used in the last 24 hours for a different request (another user_id, playbook_id or channel); nothing was created.`,
        "Send a new Idempotency-Key for a new request; reuse a key only to retry the very same request.",
      );
    }
    return { ...remembered.response, idempotent_replayed: true };
  }

  async approve(id: string, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    return statusOf(await this.transition("approve", id, (now) => ({ approved_at: now }), options, {}, undefined, (row) => this.refuseWithoutConsent(row)));
  }

  /**
   * Throws what approve would for lack of consent (the user opted out or was
   * paused after it was planned), flagging the intervention if it is not yet:
   * for a guard to call before it asks a human to approve. Resolves when the
   * user can be messaged; every other refusal is left to approve itself.
   */
  async assertApprovable(id: string): Promise<void> {
    const refusal = this.db.transaction(() => this.refuseWithoutConsent(this.requireRow(id))).immediate();
    if (refusal) throw refusal;
  }

  /** Inside the caller's transaction: flags and returns the refusal when the user may not be messaged now. */
  private refuseWithoutConsent(row: InterventionRow): RetivoError | null {
    const customer = getCustomer(this.db, this.tenantId, row.user_id);
    const problem = customer ? consentProblem(customer) : null;
    if (!problem || !["planned", "paused", "approved"].includes(row.status)) return null;
    flagForConsent(this.db, row, problem, this.now());
    return consentRefusal(row, problem);
  }

  async pause(id: string, context?: OperationContext): Promise<StatusResponse> {
    return statusOf(await this.transition("pause", id, () => ({}), { actor: context?.actor }));
  }

  async reject(id: string, rawReason: string, context?: OperationContext): Promise<StatusResponse> {
    const reason = requireReason("reject", rawReason);
    return statusOf(await this.transition("reject", id, () => ({ reject_reason: reason }), { actor: context?.actor }, { reason }));
  }

  async rollback(id: string, reason: string | undefined, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    const result = await this.transition(
      "rollback",
      id,
      (now) => ({ rolled_back_at: now, rollback_reason: reason ?? null }),
      options,
      { reason: reason ?? null },
      (row) => retractInTransaction(this.db, row, this.now()),
    );
    if (result.moved) this.options.onRolledBack?.(toIntervention(this.requireRow(id)));
    return statusOf(result);
  }

  async flag(id: string, rawReason: string, context?: OperationContext): Promise<FlagResponse> {
    const reason = requireReason("flag", rawReason);
    this.db
      .transaction(() => {
        const row = this.requireRow(id);
        if (row.flagged === 1 && row.review_flag_reason === reason) return;
        // Beside, never over, a reason the quality checks or the engine gave.
        // An approved message that has not gone out must not leave without a fresh approval.
        const changes: RowChanges = { flagged: 1, review_flag_reason: reason };
        if (row.status === "approved") changes.status = "paused";
        this.casOrConflict(row, changes);
        appendAudit(this.db, {
          tenant_id: this.tenantId,
          event: "flagged",
          intervention_id: id,
          actor: context?.actor ?? SYSTEM_ACTOR,
          detail: { reason, from: row.status, to: changes.status ?? row.status },
        });
      })
      .immediate();
    return { id, flagged: true };
  }

  async dryRun(request: DryRunRequest, context?: OperationContext): Promise<DryRunResponse> {
    const now = this.now();
    const outcome = decide(this.db, this.tenantId, request, now);
    const { customer, playbook, channel } = outcome;
    if (outcome.response.decision.action !== "intervene" || !customer || !playbook || !channel) return outcome.response;
    const tenant = getTenant(this.db, this.tenantId)!;
    const written = await writeChecked(
      this.options.writer,
      writerInputFor({ customer, playbook, tenant, channel, purpose: "dry_run", variationKey: draftKey(customer.id, playbook.id, channel), now }),
      context?.writer,
    );
    const response: DryRunResponse = {
      ...outcome.response,
      decision: { ...outcome.response.decision, reasoning: written.output.reasoning },
    };
    if (context?.preview) response.preview = draftPreview(written, "local_store");
    return response;
  }

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    // The store is owned by whoever opened it (the runtime); nothing to release here.
  }

  private requireRow(id: string): InterventionRow {
    const row = findRow(this.db, this.tenantId, id);
    if (!row) {
      throw new NotFoundError(`No intervention with id '${id}'.`, "Use an id returned by list_interventions.", {
        restHint: "Use an id returned by GET /api/interventions.",
      });
    }
    return row;
  }

  private casOrConflict(row: InterventionRow, changes: RowChanges): void {
    if (!compareAndSet(this.db, row, changes, this.now().toISOString())) {
      throw new ConflictError(`${row.id} changed while this action ran.`, "Read it again and retry if still wanted.");
    }
  }

  /**
   * One status change as a single IMMEDIATE transaction: the guard's checks,
   * the approval's consumption, the compare-and-set, side effects and the audit
   * row all commit together or not at all.
   */
  private async transition(
    action: Action,
    id: string,
    changesAt: (now: string) => RowChanges,
    options: GuardedActionOptions,
    auditDetail: Record<string, unknown> = {},
    sideEffect?: (row: InterventionRow) => void,
    refuse?: (row: InterventionRow) => RetivoError | null,
  ): Promise<StatusResponse & { moved: boolean }> {
    const outcome = this.db
      .transaction(() => {
        const row = this.requireRow(id);
        const plan = planTransition(action, id, row.status);
        if (plan.kind === "noop") return { id, status: row.status, moved: false };
        // A refusal may record why (a consent flag) before it is thrown: that much commits.
        const refusal = refuse?.(row);
        if (refusal) return { refusal };
        options.verify?.(toIntervention(row));
        options.consumeApproval?.();
        const now = this.now().toISOString();
        this.casOrConflict(row, { ...changesAt(now), status: plan.to });
        sideEffect?.(row);
        appendAudit(this.db, {
          tenant_id: this.tenantId,
          event: plan.to,
          intervention_id: id,
          actor: options.actor ?? SYSTEM_ACTOR,
          detail: { from: row.status, to: plan.to, version: row.version + 1, ...auditDetail },
        });
        return { id, status: plan.to, moved: true };
      })
      .immediate();
    if ("refusal" in outcome) throw outcome.refusal;
    return outcome;
  }
}
