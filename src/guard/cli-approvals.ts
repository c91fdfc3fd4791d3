/**
 * `retivo-mcp approvals …`: the human's side of the guard, in their own
 * terminal. Approving needs an interactive TTY, shows the exact action before
 * asking, and asks for the operator passphrase when one is set. Denying is
 * always allowed: refusing can never release anything.
 */
import { openStore, type Db } from "../backend/local/store.js";
import type { Config } from "../config.js";
import { factsOf, getApproval, listOpenApprovals, type ApprovalRow } from "./approvals-store.js";
import { describeApprovalRow } from "./describe.js";
import { auditGuard } from "./guard-audit.js";
import { answerApproval } from "./human-answer.js";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "./cli-io.js";
import { runPassphraseCommand } from "./cli-passphrase.js";
import { hasPassphrase } from "./passphrase.js";
import { sweepExpired } from "./sweep.js";

const USAGE = `Usage: retivo-mcp approvals <command>
  list              open approval requests
  show ID           the exact action a request would allow
  approve ID        approve it (interactive terminal only; asks the passphrase when set)
  deny ID [NOTE]    refuse it
  passphrase        set or change the operator passphrase (interactive terminal only)`;

function list(db: Db, io: CommandIo): number {
  sweepExpired(db);
  const rows = listOpenApprovals(db);
  if (rows.length === 0) writeLine(io.stdout, "No open approval requests.");
  for (const row of rows) {
    writeLine(io.stdout, `${row.id}  ${row.status.padEnd(8)}  ${row.action.padEnd(8)}  ${row.intervention_id}  by ${row.client_name} ${row.client_version}  expires ${row.expires_at}`);
  }
  return 0;
}

function requireRow(db: Db, id: string | undefined, io: CommandIo): ApprovalRow | undefined {
  sweepExpired(db);
  const row = id ? getApproval(db, id) : undefined;
  if (!row) writeLine(io.stderr, id ? `No approval request ${id}. Run 'retivo-mcp approvals list'.` : USAGE);
  return row;
}

async function approve(db: Db, row: ApprovalRow, io: CommandIo): Promise<number> {
  if (!io.isTTY) {
    writeLine(io.stderr, "Refusing: 'approvals approve' needs an interactive terminal. Run it yourself in a terminal, not through an agent, a script or a pipe.");
    return 2;
  }
  if (row.status !== "pending") {
    writeLine(io.stderr, `Request ${row.id} is ${row.status}; nothing to approve.`);
    return 1;
  }
  writeLine(io.stdout, describeApprovalRow(row));
  writeLine(io.stdout);
  const { facts, display } = factsOf(row);
  const prompter = new Prompter(io);
  try {
    const acknowledged = facts.flagged ? await prompter.yes(`This intervention is FLAGGED (${display.flag_reason ?? "no reason"}). Do you acknowledge the flag?`) : false;
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
    writeLine(io.stdout, `Approved ${row.id}. The agent's next ${facts.action === "approve" ? "approve_intervention" : "rollback_intervention"} call for ${facts.intervention_id} will go ahead if nothing changed meanwhile.`);
    return 0;
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
    writeLine(io.stderr, outcome.message);
    return 1;
  }
  writeLine(io.stdout, `Denied ${row.id}. Nothing will change.`);
  return 0;
}

export async function runApprovalsCommand(config: Readonly<Config>, args: string[], io: CommandIo): Promise<number> {
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
          writeLine(io.stdout, `Status: ${row.status}${row.consumed_at ? ` (used ${row.consumed_at})` : ""}${row.decided_by ? `, answered by ${row.decided_by}` : ""}`);
          writeLine(io.stdout, describeApprovalRow(row));
          return 0;
        }
        return sub === "approve" ? await approve(db, row, io) : await deny(db, row, rest.join(" "), io);
      }
      default:
        writeLine(io.stderr, `Unknown approvals command '${sub}'.\n${USAGE}`);
        return 2;
    }
  } finally {
    db.close();
  }
}
