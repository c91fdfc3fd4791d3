/**
 * `retivo-mcp approvals …`: the human's side of the guard, in their own
 * terminal. Approving needs an interactive TTY, shows the exact action before
 * asking, and asks for the operator passphrase when one is set. The decision
 * is the release: on the local store the command executes the action itself
 * and says what happened; in API mode (the key stays in the server) it waits
 * a little for a running server to execute it and reports what it saw.
 * Denying is always allowed: refusing can never release anything.
 */
import type { Config } from "../config.js";
import { factsOf, openStore, type ApprovalRow, type Store } from "../store/index.js";
import { approvalsCommand } from "./cli-command.js";
import { describeView, summaryLines } from "./describe.js";
import { requestViewOf } from "./request-view.js";
import { relativeTime } from "./plain-words.js";
import { displayWidth, wrapLine } from "./text-layout.js";
import { auditGuard } from "./guard-audit.js";
import { answerApproval } from "./human-answer.js";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "./cli-io.js";
import { runPassphraseCommand } from "./cli-passphrase.js";
import { outcomeText } from "./outcome-text.js";
import { hasPassphrase } from "./passphrase.js";
import { createReleaser, type GuardedExecutor } from "./release.js";
import { oneLine } from "../text/sanitize.js";
import { silentLogger } from "../log.js";
import { LOCAL_BACKEND } from "./types.js";
import { sweepExpired } from "./sweep.js";
import { operatorsConfigured } from "./operators.js";
import { isTeamTier, tierLine, tierViewOf } from "./tier-text.js";

const USAGE = `Usage: retivo-mcp approvals <command>
  list              open approval requests
  show ID           the exact action a request would allow
  approve ID        approve it (interactive terminal only; asks the passphrase when set)
  deny ID [NOTE]    refuse it
  passphrase        set or change the operator passphrase (interactive terminal only)
With named operators (retivo-mcp operators): approve ID --as NAME, deny ID --as NAME; each asks NAME's own passphrase.`;

/** The local store's own backend, opened by the CLI to execute what the human approved. */
export interface LocalExecutor {
  executor: GuardedExecutor;
  /** Waits (bounded) for what the action started outside the store, e.g. a webhook retraction; says how it ended. */
  settle(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface ApprovalsCommandDeps {
  openLocalExecutor(store: Store): LocalExecutor;
  /** How long to wait for a server to execute an API-mode approval (default 15 s). */
  apiWaitMs?: number;
}

/** The terminal's width, within reason; 80 when it does not say (a pipe). */
function widthOf(io: CommandIo): number {
  const columns = (io.stdout as { columns?: number }).columns;
  return Math.max(40, Math.min(120, typeof columns === "number" && columns > 0 ? columns : 80));
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

/** Two rows a request, fitting 80 columns: the request, then a one-line preview of the message. */
async function list(store: Store, io: CommandIo): Promise<number> {
  await sweepExpired(store);
  const rows = await store.approvals.listOpen();
  if (rows.length === 0) {
    writeLine(io.stdout, "No open approval requests.");
    return 0;
  }
  const width = widthOf(io);
  const now = new Date();
  writeLine(io.stdout, `${pad("REQUEST", 22)}${pad("ACTION", 9)}${pad("STATUS", 9)}${pad("USER", 14)}${pad("CHANNEL", 8)}${pad("FLAG", 5)}EXPIRES`);
  for (const row of rows) {
    const { facts } = factsOf(row);
    const cells = [pad(row.id, 22), pad(row.action, 9), pad(row.status, 9), pad(oneLine(facts.user_id, 12), 14), pad(oneLine(facts.channel, 7), 8), pad(facts.flagged ? "⚑" : "", 5), relativeTime(row.expires_at, now)];
    writeLine(io.stdout, cells.join(""));
    const tier = await tierViewOf(store, row);
    if (isTeamTier(tier)) writeLine(io.stdout, wrapLine(`  ${tierLine(tier)}`, width)[0]!);
    const preview = oneLine(facts.subject ? `${facts.subject}: ${facts.message_body}` : facts.message_body, width - 6);
    writeLine(io.stdout, wrapLine(`  “${preview}”`, width)[0]!);
  }
  return 0;
}

async function requireRow(store: Store, id: string | undefined, io: CommandIo, hint: Hint): Promise<ApprovalRow | undefined> {
  await sweepExpired(store);
  const row = id ? await store.approvals.get(id) : undefined;
  if (!row) writeLine(io.stderr, id ? `No approval request ${oneLine(id, 60)}. Run '${hint("list")}'.` : USAGE);
  return row;
}

/** The exact command for a follow-up, on this very store. */
type Hint = (subcommand: string) => string;

function hintFor(dbPath: string): Hint {
  const command = approvalsCommand(dbPath);
  return (subcommand) => command?.(subcommand) ?? `retivo-mcp approvals ${subcommand}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Executes the approved request: here on the local store, or by a running server in API mode. */
async function release(store: Store, row: ApprovalRow, deps: ApprovalsCommandDeps): Promise<{ row: ApprovalRow; settled?: string }> {
  if (row.backend_mode !== LOCAL_BACKEND) {
    const until = Date.now() + (deps.apiWaitMs ?? 15_000);
    let latest = (await store.approvals.get(row.id)) ?? row;
    while (latest.status === "approved" && Date.now() < until) {
      await sleep(250);
      latest = (await store.approvals.get(row.id)) ?? latest;
    }
    return { row: latest };
  }
  const local = deps.openLocalExecutor(store);
  try {
    // A store that cannot be written now (busy, full) leaves the decision approved for a running server to execute.
    const failure = await createReleaser({ store, executor: local.executor, backendId: LOCAL_BACKEND, logger: silentLogger() })
      .release(row.id)
      .then(() => undefined, (error: unknown) => `Executing it here failed (${error instanceof Error ? error.message : String(error)}).`);
    return { row: (await store.approvals.get(row.id)) ?? row, settled: failure ?? (await local.settle()) };
  } finally {
    await local.close();
  }
}

/** With operators configured, the one deciding must be named (`--as`); without, naming one is a mistake. */
async function operatorProblem(store: Store, operator: string | undefined, row: ApprovalRow, hint: Hint, sub: string): Promise<string | undefined> {
  const named = await operatorsConfigured(store);
  if (!named) return operator === undefined ? undefined : "--as names an operator, but this store has none (add them with 'retivo-mcp operators add NAME'). Nothing changed.";
  const names = (await store.operators.list()).map((o) => o.name).filter((name) => name !== row.excluded_operator);
  const oneOf = `one of: ${names.map((name) => oneLine(name, 40)).join(", ")}`;
  if (operator === undefined) return `Name the operator who decides: ${hint(`${sub} ${row.id} --as NAME`)} (${oneOf}). Nothing changed.`;
  // The terminal is the human's own: naming who exists here tells nothing `operators list` would not.
  if (!(await store.operators.get(operator))) return `No operator named ${oneLine(operator, 40)} (${oneOf}). Nothing changed.`;
  if (row.excluded_operator === operator) {
    return `${oneLine(operator, 40)} runs the agent that asked for this, and the approval policy needs someone else to decide it. Nothing changed.`;
  }
  return undefined;
}

async function approve(store: Store, row: ApprovalRow, io: CommandIo, deps: ApprovalsCommandDeps, hint: Hint, operator: string | undefined): Promise<number> {
  if (!io.isTTY) {
    writeLine(io.stderr, "Refusing: 'approvals approve' needs an interactive terminal. Run it yourself in a terminal, not through an agent, a script or a pipe.");
    return 2;
  }
  if (row.status !== "pending") {
    writeLine(io.stderr, `Request ${row.id} is ${row.status}; nothing to approve. ${outcomeText(row)}`);
    return 1;
  }
  const problem = await operatorProblem(store, operator, row, hint, "approve");
  if (problem) {
    writeLine(io.stderr, problem);
    return 2;
  }
  const width = widthOf(io);
  const view = requestViewOf(row);
  writeLine(io.stdout, describeView(view, { width, showAddress: true }));
  writeLine(io.stdout);
  // At 80x24 the description has scrolled off: what decides the answer is repeated right above the question.
  for (const line of summaryLines(view, width)) writeLine(io.stdout, line);
  const tier = await tierViewOf(store, row);
  if (isTeamTier(tier)) writeLine(io.stdout, `Approvals: ${tierLine(tier)}.`);
  const { facts } = factsOf(row);
  const prompter = new Prompter(io);
  try {
    const acknowledged = facts.flagged ? await prompter.yes("This intervention is FLAGGED (why: above). Do you acknowledge the flag?") : false;
    if (facts.flagged && !acknowledged) {
      writeLine(io.stdout, "Not approved: the flag was not acknowledged. Nothing changed.");
      return 1;
    }
    if (!(await prompter.yes(facts.action === "approve" ? "Approve and release this message?" : "Approve rolling back this message?"))) {
      writeLine(io.stdout, `Not approved; nothing changed. To refuse it outright: ${hint(`deny ${row.id}`)}`);
      return 1;
    }
    const note = await prompter.line("Note for the audit log (optional): ");
    const passphrase = operator
      ? await prompter.line(`Passphrase of ${operator}: `, { hidden: true })
      : (await hasPassphrase(store))
        ? await prompter.line("Operator passphrase: ", { hidden: true })
        : undefined;
    const outcome = await answerApproval(store, row.id, { approve: true, via: "cli", answer: "approve", note: note ?? null, acknowledgedFlag: acknowledged, passphrase, operator });
    if (!outcome.ok) {
      writeLine(io.stderr, `Not approved: ${outcome.message}`);
      return 1;
    }
    if (outcome.row.status === "pending") {
      writeLine(io.stdout, `Your approval is counted; nothing is released yet: ${tierLine(await tierViewOf(store, outcome.row))}. The request expires at ${outcome.row.expires_at}.`);
      return 0;
    }
    const released = await release(store, outcome.row, deps);
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

/**
 * Denying is always allowed. It is final for that version only when proven
 * like an approval (an interactive terminal, and the passphrase when one is
 * set); otherwise the request is closed but the agent may ask again.
 */
async function deny(store: Store, row: ApprovalRow, note: string, io: CommandIo, operator: string | undefined): Promise<number> {
  let passphrase: string | undefined;
  if (operator !== undefined && !(await operatorsConfigured(store))) {
    writeLine(io.stderr, "--as names an operator, but this store has none (add them with 'retivo-mcp operators add NAME'). Nothing changed.");
    return 2;
  }
  if (io.isTTY && (operator !== undefined || (await hasPassphrase(store)))) {
    const prompter = new Prompter(io);
    try {
      const prompt = operator ? `Passphrase of ${operator} (makes the denial final; Enter to skip): ` : "Operator passphrase (makes the denial final; Enter to skip): ";
      passphrase = (await prompter.line(prompt, { hidden: true })) || undefined;
    } catch (error) {
      if (!(error instanceof PromptAborted)) throw error;
      writeLine(io.stderr, `${error.message} Nothing changed.`);
      return 1;
    } finally {
      prompter.close();
    }
  }
  const outcome = await answerApproval(store, row.id, { approve: false, via: "cli", answer: "deny", note: note || null, interactive: io.isTTY, passphrase, operator });
  if (!outcome.ok) {
    writeLine(io.stderr, outcome.row ? `Not denied: ${outcomeText(outcome.row)}` : outcome.message);
    return 1;
  }
  const final = outcome.row.answer === "deny";
  writeLine(
    io.stdout,
    final
      ? `Denied ${row.id}. Nothing was released; the agent is told on its next call, and this version stays denied.`
      : `Denied ${row.id}, unverified (${io.isTTY ? "no operator passphrase given" : "not an interactive terminal"}): nothing was released, but the agent may ask again.`,
  );
  return 0;
}

export async function runApprovalsCommand(config: Readonly<Config>, args: string[], io: CommandIo, deps: ApprovalsCommandDeps): Promise<number> {
  const [sub, id, ...rest] = args;
  if (sub === undefined || sub === "help") {
    writeLine(sub ? io.stdout : io.stderr, USAGE);
    return sub ? 0 : 2;
  }
  const store = await openStore(config);
  const hint = hintFor(config.dbPath);
  try {
    switch (sub) {
      case "list":
        return await list(store, io);
      case "passphrase":
        return await runPassphraseCommand(store, io, (replaced) =>
          auditGuard(store, { event: "approval_passphrase_set", actor: "human:cli", detail: { replaced } }),
        );
      case "show":
      case "approve":
      case "deny": {
        const row = await requireRow(store, id, io, hint);
        if (!row) return 1;
        if (sub === "show") {
          writeLine(io.stdout, `Status: ${row.status}${row.decided_by ? `, answered by ${oneLine(row.decided_by, 60)}` : ""}. ${outcomeText(row)}`);
          const tier = await tierViewOf(store, row);
          if (isTeamTier(tier)) writeLine(io.stdout, `Approvals: ${tierLine(tier)}.`);
          for (const decision of await store.approvals.decisionsOf(row.id)) {
            writeLine(io.stdout, `  ${decision.at}  ${oneLine(decision.operator, 40)} ${decision.answer === "approve" ? "approved" : "rejected"} (${oneLine(decision.channel, 20)}, ${oneLine(decision.vouched_by, 40)})`);
          }
          writeLine(io.stdout, describeView(requestViewOf(row), { width: widthOf(io), showAddress: true }));
          return 0;
        }
        return sub === "approve" ? await approve(store, row, io, deps, hint, config.operator) : await deny(store, row, rest.join(" "), io, config.operator);
      }
      default:
        writeLine(io.stderr, `Unknown approvals command '${oneLine(sub, 40)}'.\n${USAGE}`);
        return 2;
    }
  } finally {
    await store.close();
  }
}
