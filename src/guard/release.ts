/**
 * The human's decision is the release: once a request is approved, whoever
 * holds it next executes it at once: the CLI or the page that took the
 * answer (local store), the tool call that asked through a form, or any
 * running server's release loop (always, and the only way in API mode, where
 * the key stays in the server). They may race: the approval is spent in the
 * transition's own transaction (local) or by a compare-and-set right before
 * the upstream call (API), so exactly one executes.
 *
 * If the intervention changed since the human answered, nothing happens and
 * the request is voided; `outcome` on the row says what happened either way,
 * for the human who answered and the agent's next call.
 */
import type { InterventionsBackend } from "../backend/types.js";
import { actionFactsOf, actionHash } from "../domain/action-hash.js";
import { targetOf } from "../domain/status-machine.js";
import { ApprovalRefusedError, ConflictError, IllegalTransitionError, NotFoundError } from "../errors.js";
import type { Logger } from "../log.js";
import { factsOf, isExpired, type ApprovalRow, type ApprovalToSpend, type Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { guardEvent } from "./guard-audit.js";

/** What the guarded actions need of a backend. */
export type GuardedExecutor = Pick<InterventionsBackend, "get" | "approve" | "rollback" | "spendsApprovals">;

export type ReleaseOutcome =
  /** Executed now: the intervention reached `status`. */
  | { kind: "executed"; row: ApprovalRow; status: string }
  /** Not executed, and never will be: the request is void (`why`) or expired; `reached` when the intervention got there another way. */
  | { kind: "void"; row: ApprovalRow; why: string; reached?: string }
  /** Spent, but the backend refused or failed the transition. */
  | { kind: "failed"; row: ApprovalRow; error: string }
  /** Nothing to execute: not (or no longer) approved-and-unspent; `row` says what it is. */
  | { kind: "not_approved"; row: ApprovalRow | undefined };

export interface Releaser {
  release(approvalId: string): Promise<ReleaseOutcome>;
  /** Releases every approved, unspent request of the store (the background loop's tick). */
  releaseAll(): Promise<ReleaseOutcome[]>;
}

export interface ReleaserDeps {
  store: Store;
  executor: GuardedExecutor;
  /**
   * Which backend `executor` is ('local', or the API mode and URL): a request
   * is only ever executed against the backend it was made for, so a server on
   * another backend sharing the store leaves it alone.
   */
  backendId: string;
  logger: Logger;
  now?: () => Date;
}

/** The backend refused the transition for what the intervention is now: the request can never apply. */
function isRefusal(error: unknown): boolean {
  return error instanceof ApprovalRefusedError || error instanceof IllegalTransitionError || error instanceof ConflictError || error instanceof NotFoundError;
}

/** Who released it, for the transition's audit row: the decider (human:cli, human:page, form:<client>) and the request. */
export function actorOf(row: ApprovalRow): string {
  return `${row.decided_by ?? "human:unknown"} (approval ${row.id}; requested by ${oneLine(row.client_name, 100)} ${oneLine(row.client_version, 40)})`;
}

export function createReleaser({ store, executor, backendId, logger, now = () => new Date() }: ReleaserDeps): Releaser {
  const voided = async (row: ApprovalRow, why: string, reached?: string): Promise<ReleaseOutcome> => {
    await store.approvals.close(row.id, "void", now(), why, guardEvent({ event: "approval_voided", actor: "system:guard", approval: row, detail: { was: row.status, why } }));
    const latest = (await store.approvals.get(row.id)) ?? row;
    if (latest.status !== "void") return { kind: "not_approved", row: latest };
    return reached ? { kind: "void", row: latest, why: latest.outcome ?? why, reached } : { kind: "void", row: latest, why: latest.outcome ?? why };
  };

  const executedEvent = (row: ApprovalRow) =>
    guardEvent({ event: "approval_executed", actor: "system:guard", approval: row, detail: { decided_by: row.decided_by, note: row.note } });

  /** The local store: the approval is spent, and its outcome and audit row written, in the transition's own transaction. */
  async function executeSpendingInStore(row: ApprovalRow, spend: ApprovalToSpend): Promise<ReleaseOutcome> {
    const options = { actor: actorOf(row), approval: spend };
    try {
      const result = row.action === "approve" ? await executor.approve(row.intervention_id, options) : await executor.rollback(row.intervention_id, spend.reason ?? undefined, options);
      const latest = (await store.approvals.get(row.id)) ?? row;
      if (latest.status === "executed") return { kind: "executed", row: latest, status: result.status };
      // Still approved: the transition was a no-op, the intervention got there another way.
      return voided(latest, `${row.intervention_id} was already ${result.status} by another path`, result.status);
    } catch (error) {
      const latest = await store.approvals.get(row.id);
      if (latest?.status !== "approved") return { kind: "not_approved", row: latest };
      // A refusal means it changed in between; anything else (a busy store) leaves it approved for a retry.
      if (!isRefusal(error)) throw error;
      // Lost a race to another request for the same action: say it is already there, not that it changed.
      const target = targetOf(row.action);
      const now = await executor.get(row.intervention_id).catch(() => undefined);
      if (now?.status === target) return voided(latest, `${row.intervention_id} was already ${target} by another path`, target);
      return voided(latest, error instanceof Error ? error.message : String(error));
    }
  }

  /** Over the Retivo API: spent by a compare-and-set right before the call, so racing releasers send one request. */
  async function executeSpendingFirst(row: ApprovalRow, spend: ApprovalToSpend): Promise<ReleaseOutcome> {
    if (!(await store.approvals.consume(row.id, now()))) return { kind: "not_approved", row: await store.approvals.get(row.id) };
    try {
      const options = { actor: actorOf(row) };
      const result = row.action === "approve" ? await executor.approve(row.intervention_id, options) : await executor.rollback(row.intervention_id, spend.reason ?? undefined, options);
      await store.approvals.recordOutcome(row.id, "executed", `${row.intervention_id} is now ${result.status}`);
      await store.audit.append({ ...spend.executed, detail: { ...spend.executed.detail, status: result.status } });
      return { kind: "executed", row: (await store.approvals.get(row.id))!, status: result.status };
    } catch (error) {
      const message = oneLine(error instanceof Error ? error.message : String(error), 500);
      logger.warn({ approvalId: row.id, err: error }, "an approved action failed to execute");
      await store.approvals.recordOutcome(row.id, "failed", message);
      await store.audit.append(guardEvent({ event: "approval_execution_failed", actor: "system:guard", approval: row, detail: { error: message } }));
      return { kind: "failed", row: (await store.approvals.get(row.id))!, error: message };
    }
  }

  async function release(approvalId: string): Promise<ReleaseOutcome> {
    const row = await store.approvals.get(approvalId);
    if (!row || row.status !== "approved" || row.backend_mode !== backendId) return { kind: "not_approved", row };
    if (isExpired(row, now())) {
      await store.approvals.close(row.id, "expired", now(), "expired before it was executed", guardEvent({ event: "approval_expired", actor: "system:guard", approval: row, detail: { was: row.status } }));
      return { kind: "void", row: (await store.approvals.get(row.id)) ?? row, why: "it expired before it was executed" };
    }
    const { facts } = factsOf(row);
    const target = targetOf(row.action);
    let current;
    try {
      current = await executor.get(row.intervention_id);
    } catch (error) {
      if (error instanceof NotFoundError) return voided(row, `${row.intervention_id} no longer exists`);
      throw error;
    }
    if (actionHash(actionFactsOf(row.action, current, facts.reason ?? undefined)) !== row.action_hash) {
      if (current.status === target) return voided(row, `${row.intervention_id} was already ${target} by another path`, target);
      return voided(row, `${row.intervention_id} changed since the human approved it (now status ${current.status}${current.version != null ? `, version ${current.version}` : ""})`);
    }
    const spend: ApprovalToSpend = { id: row.id, actionHash: row.action_hash, reason: facts.reason, executed: executedEvent(row) };
    return executor.spendsApprovals ? executeSpendingInStore(row, spend) : executeSpendingFirst(row, spend);
  }

  return {
    release,
    async releaseAll() {
      const outcomes: ReleaseOutcome[] = [];
      for (const row of await store.approvals.listApprovedUnexecuted(backendId, now())) {
        try {
          outcomes.push(await release(row.id));
        } catch (error) {
          logger.warn({ approvalId: row.id, err: error }, "could not release an approved request yet; will retry");
        }
      }
      return outcomes;
    },
  };
}
