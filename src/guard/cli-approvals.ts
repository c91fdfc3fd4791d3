/**
 * `retivo-mcp approvals …`: the human's side of the guard, in their own
 * terminal. Approving needs an interactive TTY, shows the exact action before
 * asking, and asks for the operator passphrase when one is set. The decision
 * is the release: on the local store the command executes the action itself
 * and says what happened; in API mode (the key stays in the server) it waits
 * a little for a running server to execute it and reports what it saw.
 * Denying is always allowed: refusing can never release anything.
 */
import { openStore, type Db } from "../backend/local/store.js";
import type { Config } from "../config.js";
import { factsOf, getApproval, listOpenApprovals, type ApprovalRow } from "./approvals-store.js";
import { describeApprovalRow } from "./describe.js";
import { auditGuard } from "./guard-audit.js";
import { answerApproval } from "./human-answer.js";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "./cli-io.js";
import { runPassphraseCommand } from "./cli-passphrase.js";
import { outcomeText } from "./outcome-text.js";
import { hasPassphrase } from "./passphrase.js";
import { createReleaser, type GuardedExecutor } from "./release.js";
import { oneLine } from "./sanitize.js";
import { silentLogger } from "../log.js";
import { sweepExpired } from "./sweep.js";

const USAGE = `Usage: retivo-mcp approvals <command>
  list              open approval requests
  show ID           the exact action a request would allow
  approve ID        approve it (interactive terminal only; asks the passphrase when set)
  deny ID [NOTE]    refuse it
  passphrase        set or change the operator passphrase (interactive terminal only)`;

/** The local store's own backend, opened by the CLI to execute what the human approved. */
export interface LocalExecutor {
  executor: GuardedExecutor;
  /** Waits (bounded) for what the action started outside the store, e.g. a webhook retraction; says how it ended. */
  settle(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface ApprovalsCommandDeps {
  openLocalExecutor(db: Db): LocalExecutor;
  /** How long to wait for a server to execute an API-mode approval (default 15 s). */
  apiWaitMs?: number;
}

function list(db: Db, io: CommandIo): number {
  sweepExpired(db);
  const rows = listOpenApprovals(db);
  if (rows.length === 0) writeLine(io.stdout, "No open approval requests.");
  for (const row of rows) {
    const client = `${oneLine(row.client_name, 40)} ${oneLine(row.client_version, 20)}`;
    writeLine(io.stdout, `${row.id}  ${row.status.padEnd(8)}  ${row.action.padEnd(8)}  ${oneLine(row.intervention_id, 40)}  by ${client}  expires ${row.expires_at}`);
  }
  return 0;
}

function requireRow(db: Db, id: string | undefined, io: CommandIo): ApprovalRow | undefined {
  sweepExpired(db);
  const row = id ? getApproval(db, id) : undefined;
  if (!row) writeLine(io.stderr, id ? `No approval request ${oneLine(id, 60)}. Run 'retivo-mcp approvals list'.` : USAGE);
  return row;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Executes the approved request: here on the local store, or by a running server in API mode. */
async function release(db: Db, row: ApprovalRow, deps: ApprovalsCommandDeps): Promise<{ row: ApprovalRow; settled?: string }> {
  if (row.backend_mode !== "local") {
    const until = Date.now() + (deps.apiWaitMs ?? 15_000);
    let latest = getApproval(db, row.id) ?? row;
    while (latest.status === "approved" && Date.now() < until) {
      await sleep(250);
      latest = getApproval(db, row.id) ?? latest;
    }
    return { row: latest };
  }
  const local = deps.openLocalExecutor(db);
  try {
    await createReleaser({ db, executor: local.executor, logger: silentLogger() }).release(row.id);
    return { row: getApproval(db, row.id) ?? row, settled: await local.settle() };
  } finally {
    await local.close();
  }
}

async function approve(db: Db, row: ApprovalRow, io: CommandIo, deps: ApprovalsCommandDeps): Promise<number> {
  if (!io.isTTY) {
    writeLine(io.stderr, "Refusing: 'approvals approve' needs an interactive terminal. Run it yourself in a terminal, not through an agent, a script or a pipe.");
    return 2;
  }
  if (row.status !== "pending") {
    writeLine(io.stderr, `Request ${row.id} is ${row.status}; nothing to approve. ${outcomeText(row)}`);
    return 1;
  }
  writeLine(io.stdout, describeApprovalRow(row));
  writeLine(io.stdout);
  const { facts, display } = factsOf(row);
  const prompter = new Prompter(io);
  try {
    if (facts.flagged) writeLine(io.stdout, `FLAGGED: ${oneLine(display.flag_reason ?? "(no reason recorded)")}`);
    const acknowledged = facts.flagged ? await prompter.yes("This intervention is FLAGGED (the reason is on the line above). Do you acknowledge the flag?") : false;
    if (facts.flagged && !acknowledged) {
      writeLine(io.stdout, "Not approved: the flag was not acknowledged. Nothing changed.");
      return 1;
    }
    if (!(await prompter.yes(facts.action === "approve" ? "Approve and release this message?" : "Approve rolling back this message?"))) {
      writeLine(io.stdout, `Not approved; nothing changed. To refuse it outright: retivo-mcp approvals deny ${row.id}`);
      return 1;
    }
    const note = await prompter.line("Note for the audit log (optional): ");
    const passphrase = hasPassphrase(db) ? await prompter.line("Operator passphrase: ", { hidden: true }) : undefined;
    const outcome = await answerApproval(db, row.id, { approve: true, via: "cli", answer: "approve", note: note ?? null, acknowledgedFlag: acknowledged, passphrase });
    if (!outcome.ok) {
      writeLine(io.stderr, `Not approved: ${outcome.message}`);
      return 1;
    }
    const released = await release(db, outcome.row, deps);
    writeLine(io.stdout, outcomeText(released.row));
    if (released.settled) writeLine(io.stdout, released.settled);
    return released.row.status === "executed" ? 0 : 1;
  } catch (error) {
    if (!(error instanceof PromptAborted)) throw error;
    writeLine(io.stderr, `${error.message} Nothing changed.`);
    return 1;
  } finally {
    prompter.close();
  }
}

async function deny(db: Db, row: ApprovalRow, note: string, io: CommandIo): Promise<number> {
  const outcome = await answerApproval(db, row.id, { approve: false, via: "cli", answer: "deny", note: note || null });
  if (!outcome.ok) {
    writeLine(io.stderr, outcome.row ? `Not denied: ${outcomeText(outcome.row)}` : outcome.message);
    return 1;
  }
  writeLine(io.stdout, `Denied ${row.id}. Nothing was released, and the agent is told on its next call.`);
  return 0;
}

export async function runApprovalsCommand(config: Readonly<Config>, args: string[], io: CommandIo, deps: ApprovalsCommandDeps): Promise<number> {
  const [sub, id, ...rest] = args;
  if (sub === undefined || sub === "help") {
    writeLine(sub ? io.stdout : io.stderr, USAGE);
    return sub ? 0 : 2;
  }
  const db = openStore(config.dbPath);
  try {
    switch (sub) {
      case "list":
        return list(db, io);
      case "passphrase":
        return await runPassphraseCommand(db, io, (replaced) =>
          auditGuard(db, { event: "approval_passphrase_set", actor: "human:cli", detail: { replaced } }),
        );
      case "show":
      case "approve":
      case "deny": {
        const row = requireRow(db, id, io);
        if (!row) return 1;
        if (sub === "show") {
          writeLine(io.stdout, `Status: ${row.status}${row.decided_by ? `, answered by ${oneLine(row.decided_by, 60)}` : ""}. ${outcomeText(row)}`);
          writeLine(io.stdout, describeApprovalRow(row));
          return 0;
        }
        return sub === "approve" ? await approve(db, row, io, deps) : await deny(db, row, rest.join(" "), io);
      }
      default:
        writeLine(io.stderr, `Unknown approvals command '${oneLine(sub, 40)}'.\n${USAGE}`);
        return 2;
    }
  } finally {
    db.close();
  }
}
