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
import type { GuardedActionOptions } from "../backend/types.js";
import type { Db } from "../backend/local/store.js";
import { ApprovalRefusedError, ConflictError, IllegalTransitionError, NotFoundError } from "../errors.js";
import type { Logger } from "../log.js";
import { actionFactsOf, actionHash } from "./action-hash.js";
import {
  closeApproval,
  consumeApprovalRow,
  factsOf,
  getApproval,
  isExpired,
  listApprovedUnexecuted,
  recordOutcome,
  type ApprovalRow,
} from "./approvals-store.js";
import { auditGuard } from "./guard-audit.js";
import { oneLine } from "../text/sanitize.js";

/** What the guarded actions need of a backend. */
export type GuardedExecutor = Pick<InterventionsBackend, "get" | "approve" | "rollback">;

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
  db: Db;
  executor: GuardedExecutor;
  /**
   * Which backend `executor` is ('local', or the API mode and URL): a request
   * is only ever executed against the backend it was made for, so a server on
   * another backend sharing the store file leaves it alone.
   */
  backendId: string;
  logger: Logger;
  now?: () => Date;
}

const TARGET = { approve: "approved", rollback: "rolled_back" } as const;

/** The backend refused the transition for what the intervention is now: the request can never apply. */
function isRefusal(error: unknown): boolean {
  return error instanceof ApprovalRefusedError || error instanceof IllegalTransitionError || error instanceof ConflictError || error instanceof NotFoundError;
}

/** Who released it, for the transition's audit row: the decider (human:cli, human:page, form:<client>) and the request. */
export function actorOf(row: ApprovalRow): string {
  return `${row.decided_by ?? "human:unknown"} (approval ${row.id}; requested by ${oneLine(row.client_name, 100)} ${oneLine(row.client_version, 40)})`;
}

export function createReleaser({ db, executor, backendId, logger, now = () => new Date() }: ReleaserDeps): Releaser {
  const voided = (row: ApprovalRow, why: string, reached?: string): ReleaseOutcome => {
    if (closeApproval(db, row.id, "void", now(), why)) {
      auditGuard(db, { event: "approval_voided", actor: "system:guard", approval: row, detail: { was: row.status, why } });
    }
    const latest = getApproval(db, row.id) ?? row;
    if (latest.status !== "void") return { kind: "not_approved", row: latest };
    return reached ? { kind: "void", row: latest, why: latest.outcome ?? why, reached } : { kind: "void", row: latest, why: latest.outcome ?? why };
  };

  async function release(approvalId: string): Promise<ReleaseOutcome> {
    const row = getApproval(db, approvalId);
    if (!row || row.status !== "approved" || row.backend_mode !== backendId) return { kind: "not_approved", row };
    if (isExpired(row, now())) {
      if (closeApproval(db, row.id, "expired", now(), "expired before it was executed")) {
        auditGuard(db, { event: "approval_expired", actor: "system:guard", approval: row, detail: { was: row.status } });
      }
      return { kind: "void", row: getApproval(db, row.id) ?? row, why: "it expired before it was executed" };
    }
    const { facts } = factsOf(row);
    const target = TARGET[row.action];
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
    let spent = false;
    const options: GuardedActionOptions = {
      actor: actorOf(row),
      verify: (latest) => {
        if (actionHash(actionFactsOf(row.action, latest, facts.reason ?? undefined)) !== row.action_hash) {
          throw new ApprovalRefusedError(`${row.intervention_id} changed while the approval was being executed. Nothing changed.`);
        }
      },
      consumeApproval: () => {
        if (!consumeApprovalRow(db, row.id, now())) throw new ApprovalRefusedError(`Approval ${row.id} was already used or has expired. Nothing changed.`);
        spent = true;
      },
    };
    try {
      const result =
        row.action === "approve" ? await executor.approve(row.intervention_id, options) : await executor.rollback(row.intervention_id, facts.reason ?? undefined, options);
      if (!spent) return voided(row, `${row.intervention_id} was already ${result.status} by another path`, result.status);
      recordOutcome(db, row.id, "executed", `${row.intervention_id} is now ${result.status}`);
      auditGuard(db, { event: "approval_executed", actor: "system:guard", approval: row, detail: { status: result.status, decided_by: row.decided_by, note: row.note } });
      return { kind: "executed", row: getApproval(db, row.id)!, status: result.status };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!spent) {
        // Nothing was spent. A refusal means another releaser spent it first or it changed in
        // between; anything else (a busy store, an unreachable API) leaves it approved for a retry.
        const latest = getApproval(db, row.id);
        if (latest?.status !== "approved") return { kind: "not_approved", row: latest };
        if (isRefusal(error)) return voided(latest, message);
        throw error;
      }
      logger.warn({ approvalId: row.id, err: error }, "an approved action failed to execute");
      recordOutcome(db, row.id, "failed", oneLine(message, 500));
      auditGuard(db, { event: "approval_execution_failed", actor: "system:guard", approval: row, detail: { error: oneLine(message, 500) } });
      return { kind: "failed", row: getApproval(db, row.id)!, error: message };
    }
  }

  return {
    release,
    async releaseAll() {
      const outcomes: ReleaseOutcome[] = [];
      for (const row of listApprovedUnexecuted(db, backendId, now())) {
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
