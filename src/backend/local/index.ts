/**
 * LocalBackend: the eight operations over the store, behaving as domain.md
 * fixes: the emulated Retivo. Every change is one atomic store operation
 * (read, check the status machine, compare-and-set, audit); the writer's model
 * call happens before it, outside any transaction, so a slow model never
 * holds the store.
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
import type { CompactIntervention } from "../../api/compact.js";
import type { Action } from "../../domain/status-machine.js";
import { DeadlineExceededError, InvalidInputError, RetivoError } from "../../errors.js";
import type { Logger } from "../../log.js";
import { newInterventionId, notFound, requestHashOf, toIntervention, type Store, type TransitionRequest } from "../../store/index.js";
import { writeChecked } from "../../writer/index.js";
import type { Writer } from "../../writer/types.js";
import { draftPreview } from "../../writer/preview.js";
import type { BackendMode, CatalogCapability, GuardedActionOptions, InterventionsBackend, ListPage, ListQuery, OperationContext } from "../types.js";
import { catalogOf } from "./catalog-view.js";
import { decide } from "./decide/index.js";
import { vetManualCreate } from "./vet-create.js";
import { writerInputFor } from "./writer-input.js";

export interface LocalBackendOptions {
  store: Store;
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

export class LocalBackend implements InterventionsBackend {
  readonly mode: BackendMode = "local";
  /** The store spends a guarded action's approval in the transition's own transaction. */
  readonly spendsApprovals = true;
  readonly catalog: CatalogCapability;
  private readonly store: Store;
  private readonly tenantId: string;
  private readonly now: () => Date;

  constructor(private readonly options: LocalBackendOptions) {
    this.store = options.store;
    this.tenantId = options.tenantId;
    this.now = options.now ?? (() => new Date());
    this.catalog = catalogOf(options.store, options.tenantId);
  }

  async list(query: ListQuery): Promise<ListPage> {
    return this.store.interventions.list(this.tenantId, query);
  }

  async listCompact(query: ListQuery): Promise<ListPage<CompactIntervention>> {
    return this.store.interventions.listCompact(this.tenantId, query);
  }

  async get(id: string): Promise<DetailedIntervention> {
    const intervention = await this.store.interventions.detail(this.tenantId, id);
    if (!intervention) throw notFound(id);
    return intervention;
  }

  async create(request: CreateRequest, context?: OperationContext): Promise<CreateResponse> {
    const key = context?.idempotencyKey;
    const idempotency = key === undefined ? undefined : { key, requestHash: requestHashOf(request) };
    const earlier = idempotency && (await this.store.interventions.replayOf(this.tenantId, idempotency.key, idempotency.requestHash, this.now()));
    if (earlier) return earlier;
    const { customer, playbook, objection, decision } = await vetManualCreate(this.store, this.tenantId, request, this.now());
    const tenant = (await this.store.catalog.tenant(this.tenantId))!;
    const id = newInterventionId();
    const written = await writeChecked(
      this.options.writer,
      writerInputFor({ customer, playbook, tenant, channel: request.channel, purpose: "intervention", variationKey: draftKey(customer.id, playbook.id, request.channel), now: this.now() }),
      context?.writer,
    );
    // A caller that gave up while the message was written (deadline, cancellation) gets nothing it would not know of.
    const signal = context?.signal;
    if (signal?.aborted) {
      throw signal.reason instanceof RetivoError
        ? signal.reason
        : new DeadlineExceededError("The client cancelled the call before the intervention was stored; nothing was created.");
    }
    const now = this.now();
    const createdAt = now.toISOString();
    // A failed quality check names the problem in the text itself, so it leads; the engine's objection follows.
    const flagged = written.flagged || Boolean(objection);
    const flagReason = [written.flag_reason, objection].filter((reason) => reason).join("; ") || null;
    return this.store.interventions.create({
      row: {
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
      },
      // flagged and flag_reason extend the API's answer, so the caller learns at once what needs a closer look.
      response: { id, status: "planned", channel: request.channel, planned_at: createdAt, flagged, flag_reason: flagReason },
      actor: context?.actor ?? SYSTEM_ACTOR,
      auditDetail: { channel: request.channel, playbook_id: playbook.id, flagged, decision, provenance: provenanceSummary(written.output.provenance) },
      ...(idempotency ? { idempotency } : {}),
      now,
    });
  }

  async approve(id: string, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    return this.transition("approve", id, { actor: options.actor, approval: options.approval, noOpOnly: options.noOpOnly, checkConsent: true });
  }

  /**
   * Throws what approve would for lack of consent (the user opted out or was
   * paused after it was planned), flagging the intervention if it is not yet:
   * for a guard to call before it asks a human to approve.
   */
  async assertApprovable(id: string): Promise<void> {
    await this.store.interventions.assertApprovable(this.tenantId, id, this.now());
  }

  async pause(id: string, context?: OperationContext): Promise<StatusResponse> {
    return this.transition("pause", id, { actor: context?.actor });
  }

  async reject(id: string, rawReason: string, context?: OperationContext): Promise<StatusResponse> {
    const reason = requireReason("reject", rawReason);
    return this.transition("reject", id, { actor: context?.actor, reason: { reject_reason: reason }, auditDetail: { reason } });
  }

  async rollback(id: string, reason: string | undefined, options: GuardedActionOptions = {}): Promise<StatusResponse> {
    const result = await this.move("rollback", id, {
      actor: options.actor,
      approval: options.approval,
      noOpOnly: options.noOpOnly,
      reason: { rollback_reason: reason ?? null },
      auditDetail: { reason: reason ?? null },
    });
    if (result.moved && result.row) this.options.onRolledBack?.(toIntervention(result.row));
    return { id, status: result.status };
  }

  async flag(id: string, rawReason: string, context?: OperationContext): Promise<FlagResponse> {
    const reason = requireReason("flag", rawReason);
    await this.store.interventions.flag(this.tenantId, id, reason, context?.actor ?? SYSTEM_ACTOR, this.now());
    return { id, flagged: true };
  }

  async dryRun(request: DryRunRequest, context?: OperationContext): Promise<DryRunResponse> {
    const now = this.now();
    const outcome = await decide(this.store, this.tenantId, request, now);
    const { customer, playbook, channel } = outcome;
    if (outcome.response.decision.action !== "intervene" || !customer || !playbook || !channel) return outcome.response;
    const tenant = (await this.store.catalog.tenant(this.tenantId))!;
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
    await this.store.ping();
  }

  async close(): Promise<void> {
    // The store is owned by whoever opened it (the runtime); nothing to release here.
  }

  private async transition(action: Action, id: string, extra: TransitionExtra): Promise<StatusResponse> {
    const result = await this.move(action, id, extra);
    return { id, status: result.status };
  }

  private move(action: Action, id: string, extra: TransitionExtra): ReturnType<Store["interventions"]["transition"]> {
    const { actor, approval, noOpOnly, ...rest } = extra;
    return this.store.interventions.transition({
      tenantId: this.tenantId,
      id,
      action,
      now: this.now(),
      actor: actor ?? SYSTEM_ACTOR,
      ...(approval ? { approval } : {}),
      ...(noOpOnly ? { noOpOnly } : {}),
      ...rest,
    });
  }
}

/** What a transition takes besides its action and id; undefined members are left out. */
interface TransitionExtra {
  actor?: string | undefined;
  approval?: TransitionRequest["approval"] | undefined;
  noOpOnly?: boolean | undefined;
  checkConsent?: boolean;
  reason?: TransitionRequest["reason"];
  auditDetail?: Record<string, unknown>;
}
