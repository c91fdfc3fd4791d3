/**
 * `retivo-mcp operators …` in-process (guard/cli-operators.ts), on a scripted
 * terminal and the server's own SQLite file: the same runOperatorsCommand the
 * built CLI runs, where coverage and mutation testing see it. Adding the
 * first operator, then every change authorised by an existing operator's
 * passphrase, typed without echo; each refusal changes nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { runOperatorsCommand } from "../../src/guard/cli-operators.js";
import { setPassphrase } from "../../src/guard/passphrase.js";
import { openStore } from "../../src/store/index.js";
import { fakeTerminal, type TypedAnswer } from "./fake-terminal.js";
import { cliEnv } from "./helpers.js";

const ALICE = "alice correct horse";
const BOB = "bob battery staple";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function operators(args: string[], answers: TypedAnswer[] = [], options: { isTTY?: boolean } = {}) {
  dir ??= mkdtempSync(join(tmpdir(), "retivo-operators-cli-"));
  const terminal = fakeTerminal(answers, options);
  const config = parseConfig(["operators", ...args], cliEnv(dir));
  const code = await runOperatorsCommand(config, config.args, terminal.io);
  expect(terminal.untyped()).toEqual([]);
  return { code, terminal };
}

const typed = (prompt: RegExp, text: string): TypedAnswer => ({ expect: prompt, send: `${text}\r` });
const newPassphrase = (whose: string, first: string, second = first) => [
  typed(new RegExp(`New passphrase for ${whose} \\(at least 12 characters\\): $`), first),
  typed(/Repeat it: $/, second),
];
const asOperator = (what: string, name: string, passphrase: string) => [typed(new RegExp(`To ${what}, an existing operator's name: $`), name), typed(/Their passphrase: $/, passphrase)];

async function stored() {
  const store = await openStore({ dbPath: join(dir!, "retivo.db") });
  try {
    const audit = [...(await store.audit.recent(100))].sort((a, b) => a.seq - b.seq);
    return { operators: await store.operators.list(), audit: audit.map((e) => ({ event: e.event, actor: e.actor, detail: JSON.parse(e.detail) as Record<string, unknown> })) };
  } finally {
    await store.close();
  }
}

describe("operators, in-process: usage", () => {
  it("prints the usage on its own, on help, and after an unknown command or a bad name", async () => {
    const none = await operators([]);
    expect(none.code).toBe(2);
    expect(none.terminal.stderr()).toMatch(/^Usage: retivo-mcp operators <command>\n/);
    const help = await operators(["help"]);
    expect(help.code).toBe(0);
    expect(help.terminal.stdout()).toMatch(/^Usage: retivo-mcp operators <command>\n/);
    expect(help.terminal.stderr()).toBe("");
    const unknown = await operators(["promote\u001b[2J"]);
    expect(unknown.code).toBe(2);
    expect(unknown.terminal.stderr()).toMatch(/^Unknown operators command 'promote[^\u001b]*'\.\nUsage: /);
    const bad = await operators(["add", "Alice"]);
    expect(bad.code).toBe(2);
    expect(bad.terminal.stderr()).toMatch(/^'Alice' is not a valid operator name: .*\nUsage: /);
    const unnamed = await operators(["remove"]);
    expect(unnamed.terminal.stderr()).toMatch(/^Name the operator\.\nUsage: /);
  });

  it("refuses changes without an interactive terminal, and --principal anywhere but add", async () => {
    const piped = await operators(["add", "alice"], [], { isTTY: false });
    expect(piped.code).toBe(2);
    expect(piped.terminal.stderr()).toBe("Refusing: 'operators add' needs an interactive terminal, so passphrases are typed by a human and never echoed.\n");
    const principal = await operators(["list", "--principal", "local"]);
    expect(principal.code).toBe(2);
    expect(principal.terminal.stderr()).toBe("--principal applies to 'operators add' only.\n");
    expect((await operators(["list"])).terminal.stdout()).toBe("No operators: one anonymous human decides every request (add one with 'retivo-mcp operators add NAME').\n");
  });
});

describe("operators, in-process: changing who may approve", { timeout: 120_000 }, () => {
  it("adds the first operator on their own passphrase, then needs an existing one's for every change", async () => {
    const first = await operators(["add", "alice", "--principal", "local"], newPassphrase("alice", ALICE));
    expect(first.code).toBe(0);
    expect(first.terminal.stdout()).toContain("Operator alice added. From now on every approval names an operator and needs that operator's own passphrase.");
    expect(first.terminal.rawWhen(/New passphrase|Repeat it/)).toEqual([true, true]);
    expect(first.terminal.output()).not.toContain(ALICE);

    const listed = await operators(["list"]);
    const lines = listed.terminal.stdout().split("\n");
    expect(lines[0]).toBe(`${"NAME".padEnd(42)}${"PASSPHRASE".padEnd(12)}${"PRINCIPAL".padEnd(24)}ADDED`);
    expect(lines[1]).toBe(`${"alice".padEnd(42)}${"set".padEnd(12)}${"local".padEnd(24)}${new Date().toISOString().slice(0, 10)}`);

    const twice = await operators(["add", "alice"]);
    expect(twice.code).toBe(1);
    expect(twice.terminal.stderr()).toBe("There is already an operator named alice; nothing changed.\n");

    const wrong = await operators(["add", "bob"], asOperator("add bob", "alice", "not alice at all"));
    expect(wrong.code).toBe(1);
    expect(wrong.terminal.stderr()).toBe("Wrong operator or passphrase; nothing changed.\n");
    const nobody = await operators(["add", "bob"], asOperator("add bob", "mallory", ALICE));
    expect(nobody.terminal.stderr()).toBe("Wrong operator or passphrase; nothing changed.\n");

    const short = await operators(["add", "bob"], [...asOperator("add bob", " alice ", ALICE), typed(/New passphrase for bob .*: $/, "short")]);
    expect(short.code).toBe(1);
    expect(short.terminal.stderr()).toBe("Too short; nothing changed. Use at least 12 characters.\n");
    const differ = await operators(["add", "bob"], [...asOperator("add bob", "alice", ALICE), ...newPassphrase("bob", BOB, `${BOB}!`)]);
    expect(differ.code).toBe(1);
    expect(differ.terminal.stderr()).toBe("The two entries differ; nothing changed.\n");

    const bob = await operators(["add", "bob"], [...asOperator("add bob", "alice", ALICE), ...newPassphrase("bob", BOB)]);
    expect(bob.code).toBe(0);
    expect(bob.terminal.rawWhen(/Their passphrase/)).toEqual([true]);

    const { operators: rows, audit } = await stored();
    expect(rows.map((o) => [o.name, o.principal])).toEqual([
      ["alice", "local"],
      ["bob", null],
    ]);
    expect(audit.filter((e) => e.event === "operator_added").map((e) => [e.actor, (e.detail as { operator: string; principal: string | null }).operator, (e.detail as { principal: string | null }).principal])).toEqual([
      ["human:cli", "alice", "local"],
      ["alice", "bob", null],
    ]);
    expect((await operators(["list"])).terminal.stdout().split("\n")[2]).toMatch(/^bob\s+set\s+-\s+\d{4}-\d{2}-\d{2}$/);
  });

  it("removes an operator and changes a passphrase only with the right one, audited by who did it", async () => {
    await operators(["add", "alice"], newPassphrase("alice", ALICE));
    await operators(["add", "bob"], [...asOperator("add bob", "alice", ALICE), ...newPassphrase("bob", BOB)]);

    const missing = await operators(["remove", "carol"]);
    expect(missing.code).toBe(1);
    expect(missing.terminal.stderr()).toBe("No operator named carol. Run 'retivo-mcp operators list'.\n");

    const wrongCurrent = await operators(["passphrase", "bob"], [typed(/Current passphrase of bob: $/, ALICE)]);
    expect(wrongCurrent.code).toBe(1);
    expect(wrongCurrent.terminal.stderr()).toBe("Wrong passphrase; nothing changed.\n");
    const changed = await operators(["passphrase", "bob"], [typed(/Current passphrase of bob: $/, BOB), ...newPassphrase("bob", "bob new passphrase")]);
    expect(changed.code).toBe(0);
    expect(changed.terminal.stdout()).toMatch(/\nRepeat it: \nPassphrase of bob changed\.\n$/);

    const removed = await operators(["remove", "alice"], asOperator("remove alice", "bob", "bob new passphrase"));
    expect(removed.code).toBe(0);
    expect(removed.terminal.stdout()).toMatch(/\nOperator alice removed; their past decisions stay in the audit log\.\n$/);

    const { operators: rows, audit } = await stored();
    expect(rows.map((o) => o.name)).toEqual(["bob"]);
    expect(audit.filter((e) => e.event === "operator_passphrase_set").map((e) => e.actor)).toEqual(["bob"]);
    expect(audit.filter((e) => e.event === "operator_removed").map((e) => [e.actor, (e.detail as { operator: string }).operator])).toEqual([["bob", "alice"]]);
  });

  it("refuses a locked operator by saying until when", async () => {
    await operators(["add", "alice"], newPassphrase("alice", ALICE));
    for (let i = 0; i < 5; i++) await operators(["passphrase", "alice"], [typed(/Current passphrase of alice: $/, "guess guess guess")]);
    const locked = await operators(["passphrase", "alice"], [typed(/Current passphrase of alice: $/, ALICE)]);
    expect(locked.code).toBe(1);
    expect(locked.terminal.stderr()).toMatch(/^Too many wrong passphrases for alice: refused until \d{4}-\d{2}-\d{2}T[\d:.]+Z\. Nothing changed\.\n$/);
    const viaAdd = await operators(["add", "bob"], asOperator("add bob", "alice", ALICE));
    expect(viaAdd.terminal.stderr()).toMatch(/^Too many wrong passphrases for that operator: refused until .+Z\. Nothing changed\.\n$/);
  });

  it("before the first operator, asks the single passphrase when one is set, and stops on Ctrl-C", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-operators-cli-"));
    const store = await openStore({ dbPath: join(dir, "retivo.db") });
    await setPassphrase(store, "the single passphrase");
    await store.close();
    const prompt = /Operator passphrase \(the single one set so far\): $/;
    const wrong = await operators(["add", "alice"], [typed(prompt, "not the one")]);
    expect(wrong.code).toBe(1);
    expect(wrong.terminal.stderr()).toBe("Wrong passphrase; nothing changed.\n");
    const interrupted = await operators(["add", "alice"], [{ expect: prompt, send: "the sin\u0003" }]);
    expect(interrupted.code).toBe(1);
    expect(interrupted.terminal.stderr()).toBe("Interrupted. Nothing changed.\n");
    for (let i = 0; i < 4; i++) await operators(["add", "alice"], [typed(prompt, "not the one")]);
    const locked = await operators(["add", "alice"]);
    expect(locked.terminal.stderr()).toMatch(/^Too many wrong passphrases: attempts are refused until .+Z\. Nothing changed\.\n$/);
    expect((await stored()).operators).toEqual([]);
  });

  it("adds after the single passphrase, audited as the terminal's human", async () => {
    dir = mkdtempSync(join(tmpdir(), "retivo-operators-cli-"));
    const store = await openStore({ dbPath: join(dir, "retivo.db") });
    await setPassphrase(store, "the single passphrase");
    await store.close();
    const added = await operators(["add", "alice"], [typed(/Operator passphrase \(the single one set so far\): $/, "the single passphrase"), ...newPassphrase("alice", ALICE)]);
    expect(added.code).toBe(0);
    expect((await stored()).audit.find((e) => e.event === "operator_added")).toMatchObject({ actor: "human:cli", detail: { operator: "alice", principal: null } });
  });
});
