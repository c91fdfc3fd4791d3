/**
 * `retivo-mcp operators add|list|remove|passphrase NAME`: the named humans
 * who decide approval requests. Secrets are typed twice without echo, in an
 * interactive terminal only. Changing who may approve is itself guarded:
 * once operators exist, adding or removing one needs an existing operator's
 * passphrase (before the first, the single operator passphrase when one is
 * set), and changing an operator's passphrase needs their current one, so an
 * agent that can reach a terminal cannot make itself an operator.
 *
 * Where the database keeps the guard (PostgreSQL after `db init`), an
 * operator's passphrase is stored there (retivo_set_passphrase, bcrypt in the
 * private schema), never in the readable `operators` table: the first one
 * only from an owner's or administrator's session, as `db init` stores the
 * first passphrase; a change from the server's role with the current one.
 */
import type { Config } from "../config.js";
import { openStore, type Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "./cli-io.js";
import { guardEvent } from "./guard-audit.js";
import { operatorNameProblem, proveOperatorByPassphrase } from "./operators.js";
import { attemptPassphrase, hasPassphrase, MIN_PASSPHRASE_LENGTH, passphraseInDatabase, passphraseLockedUntil, passphraseRecord } from "./passphrase.js";

const USAGE = `Usage: retivo-mcp operators <command>
  list                              the operators who may decide approval requests
  add NAME [--principal P]          add one (asks their passphrase; P: the requesting principal whose agent they run)
  remove NAME                       remove one (their past decisions stay in the audit log)
  passphrase NAME                   change an operator's passphrase (asks their current one)
Adding, removing and changing passphrases need an interactive terminal and an existing operator's passphrase.`;

class Refused extends Error {}

/** Who authorised a change: an existing operator by their passphrase, the single passphrase, or nobody yet (the first operator). */
async function authorise(store: Store, prompter: Prompter, what: string): Promise<string> {
  const operators = await store.operators.list();
  if (operators.length > 0) {
    const name = (await prompter.line(`To ${what}, an existing operator's name: `))?.trim();
    const proof = await proveOperatorByPassphrase(store, name ?? "", await prompter.line("Their passphrase: ", { hidden: true }), "cli");
    if (!proof.ok) throw new Refused(proof.reason === "locked" ? `Too many wrong passphrases for that operator: refused until ${proof.lockedUntil}. Nothing changed.` : "Wrong operator or passphrase; nothing changed.");
    return proof.operator.name;
  }
  if (!(await hasPassphrase(store))) return "human:cli";
  const lockedUntil = await passphraseLockedUntil(store, "cli");
  if (lockedUntil) throw new Refused(`Too many wrong passphrases: attempts are refused until ${lockedUntil}. Nothing changed.`);
  if (!(await attemptPassphrase(store, await prompter.line("Operator passphrase (the single one set so far): ", { hidden: true }), "cli")).ok) {
    throw new Refused("Wrong passphrase; nothing changed.");
  }
  return "human:cli";
}

/** The new passphrase as typed (twice); the caller stores it in the database or as its scrypt record. */
async function newPassphrase(prompter: Prompter, whose: string): Promise<string> {
  const first = await prompter.line(`New passphrase for ${whose} (at least ${MIN_PASSPHRASE_LENGTH} characters): `, { hidden: true });
  if (!first || first.length < MIN_PASSPHRASE_LENGTH) throw new Refused(`Too short; nothing changed. Use at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  if ((await prompter.line("Repeat it: ", { hidden: true })) !== first) throw new Refused("The two entries differ; nothing changed.");
  return first;
}

const FIRST_SET_NEEDS_OWNER =
  "This store's database keeps the guard: an operator's first passphrase is stored only from the database owner's or an administrator's session. " +
  "Run this command again with RETIVO_DATABASE_URL set to the administrator's URL (the one given to 'retivo-mcp db init'), not the MCP server's. Nothing changed.";

async function list(store: Store, io: CommandIo): Promise<number> {
  const operators = await store.operators.list();
  if (operators.length === 0) {
    writeLine(io.stdout, "No operators: one anonymous human decides every request (add one with 'retivo-mcp operators add NAME').");
    return 0;
  }
  writeLine(io.stdout, `${"NAME".padEnd(42)}${"PASSPHRASE".padEnd(12)}${"PRINCIPAL".padEnd(24)}ADDED`);
  const inDatabase = await passphraseInDatabase(store);
  for (const operator of operators) {
    const set = inDatabase ? await store.databaseGuard!.passphraseSet(operator.name) : operator.passphrase !== null;
    writeLine(io.stdout, `${oneLine(operator.name, 40).padEnd(42)}${(set ? (inDatabase ? "database" : "set") : "none").padEnd(12)}${oneLine(operator.principal ?? "-", 22).padEnd(24)}${operator.created_at.slice(0, 10)}`);
  }
  return 0;
}

async function change(store: Store, sub: string, name: string, principal: string | undefined, io: CommandIo): Promise<number> {
  const prompter = new Prompter(io);
  try {
    if (sub === "add") {
      if (await store.operators.get(name)) throw new Refused(`There is already an operator named ${name}; nothing changed.`);
      const by = await authorise(store, prompter, `add ${name}`);
      const passphrase = await newPassphrase(prompter, name);
      const inDatabase = await passphraseInDatabase(store);
      // In the database first: refused from the server's role, and then nothing else has changed.
      if (inDatabase && !(await store.databaseGuard!.setPassphrase(name, null, passphrase, new Date()))) throw new Refused(FIRST_SET_NEEDS_OWNER);
      const record = inDatabase ? null : await passphraseRecord(passphrase);
      const event = guardEvent({ event: "operator_added", actor: by, detail: { operator: name, principal: principal ?? null } });
      if (!(await store.operators.add({ name, passphrase: record, principal: principal ?? null, created_at: new Date().toISOString() }, event))) {
        throw new Refused(`There is already an operator named ${name}; nothing changed.`);
      }
      writeLine(io.stdout, `Operator ${name} added. From now on every approval names an operator and needs that operator's own passphrase.`);
      return 0;
    }
    if (!(await store.operators.get(name))) throw new Refused(`No operator named ${name}. Run 'retivo-mcp operators list'.`);
    if (sub === "remove") {
      const by = await authorise(store, prompter, `remove ${name}`);
      await store.operators.remove(name, guardEvent({ event: "operator_removed", actor: by, detail: { operator: name } }));
      writeLine(io.stdout, `Operator ${name} removed; their past decisions stay in the audit log.`);
      return 0;
    }
    const current = await prompter.line(`Current passphrase of ${name}: `, { hidden: true });
    const inDatabase = await passphraseInDatabase(store);
    // An operator the database holds no passphrase for yet (added before it kept the guard) gets a first one: the owner's session only.
    const first = inDatabase && !(await store.databaseGuard!.passphraseSet(name));
    if (!first) {
      const proof = await proveOperatorByPassphrase(store, name, current, "cli");
      if (!proof.ok) throw new Refused(proof.reason === "locked" ? `Too many wrong passphrases for ${name}: refused until ${proof.lockedUntil}. Nothing changed.` : "Wrong passphrase; nothing changed.");
    }
    const next = await newPassphrase(prompter, name);
    const event = guardEvent({ event: "operator_passphrase_set", actor: name, detail: { operator: name } });
    if (inDatabase) {
      if (!(await store.databaseGuard!.setPassphrase(name, first ? null : (current ?? null), next, new Date()))) {
        throw new Refused(first ? FIRST_SET_NEEDS_OWNER : "The passphrase changed meanwhile; nothing changed.");
      }
      await store.audit.append(event);
    } else {
      await store.operators.setPassphrase(name, await passphraseRecord(next), event);
    }
    writeLine(io.stdout, `Passphrase of ${name} changed.`);
    return 0;
  } catch (error) {
    if (error instanceof Refused || error instanceof PromptAborted) {
      writeLine(io.stderr, error instanceof PromptAborted ? `${error.message} Nothing changed.` : error.message);
      return 1;
    }
    throw error;
  } finally {
    prompter.close();
  }
}

export async function runOperatorsCommand(config: Readonly<Config>, args: string[], io: CommandIo): Promise<number> {
  const [sub, name] = args;
  if (sub === undefined || sub === "help") {
    writeLine(sub ? io.stdout : io.stderr, USAGE);
    return sub ? 0 : 2;
  }
  if (!["list", "add", "remove", "passphrase"].includes(sub)) {
    writeLine(io.stderr, `Unknown operators command '${oneLine(sub, 40)}'.\n${USAGE}`);
    return 2;
  }
  if (sub !== "list") {
    const problem = operatorNameProblem(name);
    if (problem) {
      writeLine(io.stderr, `${problem}\n${USAGE}`);
      return 2;
    }
    if (!io.isTTY) {
      writeLine(io.stderr, `Refusing: 'operators ${sub}' needs an interactive terminal, so passphrases are typed by a human and never echoed.`);
      return 2;
    }
  }
  if (config.principal !== undefined && sub !== "add") {
    writeLine(io.stderr, "--principal applies to 'operators add' only.");
    return 2;
  }
  const store = await openStore(config);
  try {
    return sub === "list" ? await list(store, io) : await change(store, sub, name!, config.principal, io);
  } finally {
    await store.close();
  }
}
