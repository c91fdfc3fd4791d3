/**
 * The terminal's input and output for the human's commands
 * (src/guard/cli-io.ts) and the passphrase command built on them
 * (cli-passphrase.ts), on a scripted terminal: how a typed line is read
 * (editing, Ctrl-C, Ctrl-D, the end of input), that echo is off before a
 * hidden prompt shows and back on after, that nothing printed can carry an
 * escape sequence, and each answer of `approvals passphrase` in its words.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { Prompter, PromptAborted, writeLine, type CommandIo } from "../../src/guard/cli-io.js";
import { runPassphraseCommand } from "../../src/guard/cli-passphrase.js";
import { attemptPassphrase, hasPassphrase, setPassphrase } from "../../src/guard/passphrase.js";
import { openStore, type Store } from "../../src/store/index.js";
import { fakeTerminal } from "./fake-terminal.js";

/** A terminal whose input the test types by hand, chunk by chunk. */
function terminal(options: { tty?: boolean } = {}) {
  const tty = options.tty ?? true;
  const rawLog: boolean[] = [];
  let raw = false;
  const stdin = Object.assign(new PassThrough(), tty ? { isTTY: true, setRawMode: (on: boolean) => void rawLog.push((raw = on)) } : {});
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  /** Each write to the screen, and whether echo was off when it was made. */
  const writes: Array<{ text: string; raw: boolean }> = [];
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    writes.push({ text: chunk.toString(), raw });
  });
  const io: CommandIo = { stdin, stdout, stderr, isTTY: tty };
  return { io, stdin, rawLog, writes, out: () => out };
}

describe("reading a line", () => {
  it("reads up to Enter, with backspace editing, taking CR, LF or CRLF as the end", async () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    t.stdin.write("helo\u007flo wx\borld\r\nsecond\rthird\n");
    expect(await prompter.line("First: ")).toBe("hello world");
    expect(await prompter.line("Second: ")).toBe("second");
    expect(await prompter.line("Third: ")).toBe("third");
    expect(t.out()).toBe("First: Second: Third: ");
    prompter.close();
  });

  it("waits for input typed later, and ends on Ctrl-D at an empty line or at the end of input", async () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    const pending = prompter.line("Name: ");
    setTimeout(() => t.stdin.write("ma"), 10);
    setTimeout(() => t.stdin.write("ya\n"), 30);
    expect(await pending).toBe("maya");
    t.stdin.write("\u0004");
    expect(await prompter.line("Again: ")).toBeUndefined();
    t.stdin.write("a\u0004b\n");
    expect(await prompter.line("Ctrl-D inside a line is a character: ")).toBe("a\u0004b");
    t.stdin.end("unterminated");
    expect(await prompter.line("Last: ")).toBe("unterminated");
    expect(await prompter.line("After the end: ")).toBeUndefined();
    prompter.close();
  });

  it("aborts on Ctrl-C", async () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    t.stdin.write("abc\u0003def\n");
    await expect(prompter.line("Sure? ")).rejects.toThrow(new PromptAborted("Interrupted."));
    prompter.close();
  });

  it("turns echo off before a hidden prompt is shown and back on after it, even when aborted", async () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    t.stdin.write("secret phrase\r");
    expect(await prompter.line("Passphrase: ", { hidden: true })).toBe("secret phrase");
    expect(t.rawLog).toEqual([true, false]);
    expect(t.writes[0]).toEqual({ text: "Passphrase: ", raw: true });
    // The Enter the human typed is not echoed either, so the prompt's line is ended for them.
    expect(t.out()).toBe("Passphrase: \n");
    t.stdin.write("\u0003");
    await expect(prompter.line("Passphrase: ", { hidden: true })).rejects.toThrow("Interrupted.");
    expect(t.rawLog).toEqual([true, false, true, false]);
    t.stdin.write("visible\n");
    expect(await prompter.line("Note: ")).toBe("visible");
    expect(t.rawLog).toHaveLength(4);
    prompter.close();
  });

  it("refuses to read a passphrase where echo cannot be turned off", async () => {
    const t = terminal({ tty: false });
    const prompter = new Prompter(t.io);
    await expect(prompter.line("Passphrase: ", { hidden: true })).rejects.toThrow(new PromptAborted("Cannot read a passphrase without echo: stdin is not a terminal."));
    expect(t.out()).toBe("");
    prompter.close();
  });

  it("takes only y or yes, in any case, as yes", async () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    t.stdin.write("y\n YES \nyes please\nn\n\n");
    expect(await prompter.yes("Approve?")).toBe(true);
    expect(await prompter.yes("Approve?")).toBe(true);
    expect(await prompter.yes("Approve?")).toBe(false);
    expect(await prompter.yes("Approve?")).toBe(false);
    expect(await prompter.yes("Approve?")).toBe(false);
    t.stdin.end();
    expect(await prompter.yes("Approve?")).toBe(false);
    expect(t.out()).toBe("Approve? [y/N] ".repeat(6));
    prompter.close();
  });

  it("stops listening once closed", async () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    prompter.close();
    expect(t.stdin.listenerCount("data")).toBe(0);
    expect(t.stdin.listenerCount("end")).toBe(0);
    expect(t.stdin.isPaused()).toBe(true);
  });

  it("shows escape sequences in prompts and lines as text, never as control characters", () => {
    const t = terminal();
    const prompter = new Prompter(t.io);
    void prompter.line("\u001b[2JApprove? ");
    writeLine(t.io.stdout, "a\u001b]8;;http://x\u0007b");
    writeLine(t.io.stdout);
    expect(t.out()).toBe("\\x1b[2JApprove? a\\x1b]8;;http://x\\x07b\n\n");
    prompter.close();
  });
});

describe("retivo-mcp approvals passphrase", () => {
  let store: Store | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  async function fresh(): Promise<Store> {
    dir = mkdtempSync(join(tmpdir(), "retivo-prompts-"));
    store = await openStore({ dbPath: join(dir, "retivo.db") });
    return store;
  }
  const NEW = "a brand new passphrase";

  it("refuses without an interactive terminal", async () => {
    const s = await fresh();
    const t = fakeTerminal([], { isTTY: false });
    expect(await runPassphraseCommand(s, t.io, async () => undefined)).toBe(2);
    expect(t.stderr()).toBe("Refusing: 'approvals passphrase' needs an interactive terminal, so the passphrase is typed by a human and never echoed.\n");
    expect(await hasPassphrase(s)).toBe(false);
  });

  it("sets a first passphrase typed twice without echo, and says what it now guards", async () => {
    const s = await fresh();
    const told: boolean[] = [];
    const t = fakeTerminal([
      { expect: /New operator passphrase \(at least 12 characters\): $/, send: `${NEW}\r` },
      { expect: /Repeat it: $/, send: `${NEW}\r` },
    ]);
    expect(await runPassphraseCommand(s, t.io, async (replaced) => void told.push(replaced))).toBe(0);
    expect(t.rawWhen(/: $/)).toEqual([true, true]);
    expect(t.stdout()).toContain(
      "Operator passphrase set. Every approval now needs it: on the approval page, in 'retivo-mcp approvals approve', and for approve/rollback on the local REST server; in-client forms no longer approve on their own.\n",
    );
    expect(told).toEqual([false]);
    expect(await attemptPassphrase(s, NEW, "cli")).toEqual({ ok: true });
  });

  it("changes nothing for a passphrase too short, two entries that differ, or Ctrl-C", async () => {
    const s = await fresh();
    const short = fakeTerminal([{ expect: /New operator passphrase/, send: "elevenchars\r" }]);
    expect(await runPassphraseCommand(s, short.io, async () => undefined)).toBe(1);
    expect(short.stderr()).toBe("Too short; nothing changed. Use at least 12 characters.\n");
    const twelve = fakeTerminal([
      { expect: /New operator passphrase/, send: "twelve chars\r" },
      { expect: /Repeat it: $/, send: "twelve chars\r" },
    ]);
    const differ = fakeTerminal([
      { expect: /New operator passphrase/, send: `${NEW}\r` },
      { expect: /Repeat it: $/, send: `${NEW}!\r` },
    ]);
    expect(await runPassphraseCommand(s, differ.io, async () => undefined)).toBe(1);
    expect(differ.stderr()).toBe("The two entries differ; nothing changed.\n");
    const interrupted = fakeTerminal([{ expect: /New operator passphrase/, send: "\u0003" }]);
    expect(await runPassphraseCommand(s, interrupted.io, async () => undefined)).toBe(1);
    expect(interrupted.stderr()).toBe("Interrupted. Nothing changed.\n");
    const empty = fakeTerminal([{ expect: /New operator passphrase/, send: "\u0004" }]);
    expect(await runPassphraseCommand(s, empty.io, async () => undefined)).toBe(1);
    expect(await hasPassphrase(s)).toBe(false);
    // Exactly twelve is long enough.
    expect(await runPassphraseCommand(s, twelve.io, async () => undefined)).toBe(0);
  });

  it("asks for the current passphrase before replacing it, and keeps it on a wrong one", async () => {
    const s = await fresh();
    await setPassphrase(s, "the current passphrase");
    const wrong = fakeTerminal([{ expect: /Current operator passphrase: $/, send: "not the current one\r" }]);
    expect(await runPassphraseCommand(s, wrong.io, async () => undefined)).toBe(1);
    expect(wrong.stderr()).toBe("Wrong passphrase; nothing changed.\n");
    const told: boolean[] = [];
    const right = fakeTerminal([
      { expect: /Current operator passphrase: $/, send: "the current passphrase\r" },
      { expect: /New operator passphrase/, send: `${NEW}\r` },
      { expect: /Repeat it: $/, send: `${NEW}\r` },
    ]);
    expect(await runPassphraseCommand(s, right.io, async (replaced) => void told.push(replaced))).toBe(0);
    expect(right.rawWhen(/: $/)).toEqual([true, true, true]);
    expect(told).toEqual([true]);
    expect(await attemptPassphrase(s, NEW, "cli")).toEqual({ ok: true });
  });

  it("refuses at once while the terminal is locked out, and says until when", async () => {
    const s = await fresh();
    await setPassphrase(s, "the current passphrase");
    let last = "";
    for (let i = 0; i < 5; i++) {
      const t = fakeTerminal([{ expect: /Current operator passphrase: $/, send: `wrong guess number ${i}\r` }]);
      expect(await runPassphraseCommand(s, t.io, async () => undefined)).toBe(1);
      last = t.stderr();
    }
    expect(last).toMatch(/^Wrong passphrase; nothing changed\. Further attempts are refused until \d{4}-\d\d-\d\dT[\d:.]+Z\.\n$/);
    const locked = fakeTerminal([{ expect: /Current operator passphrase/, send: "the current passphrase\r" }]);
    expect(await runPassphraseCommand(s, locked.io, async () => undefined)).toBe(1);
    expect(locked.stderr()).toMatch(/^Too many wrong passphrases: attempts are refused until \d{4}-\d\d-\d\dT[\d:.]+Z\. Nothing changed\.\n$/);
    expect(locked.untyped()).toHaveLength(1);
  });
});
