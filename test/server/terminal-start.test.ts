/**
 * A person who starts the server in a terminal (`npm start`) is told in plain
 * words what it is, how to connect a client and how to watch a demo, on
 * stderr, and reads log lines rather than JSON; stdout still carries nothing
 * but JSON-RPC. Run on a real pseudo-terminal (script(1)).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prettyLine } from "../../src/log-pretty.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "retivo-terminal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `serve` with stdin (and stdout) on a terminal; `redirect` sends stderr elsewhere. Ctrl+D ends it. */
function serveInTerminal(redirect: string): Promise<string> {
  const env = { PATH: process.env.PATH ?? "", TERM: "dumb", HOME: dir, RETIVO_DB: join(dir, `${redirect ? "a" : "b"}.db`), RETIVO_DATA_DIR: dir, RETIVO_LLM: "template" };
  return new Promise((done, fail) => {
    const child = spawn("script", ["-qfec", `${process.execPath} ${CLI} serve ${redirect}`, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString()));
    // Once the server says it serves (on the terminal, or in the redirected file), end its stdin.
    const ready = setInterval(() => {
      if (!/serving MCP on stdio/.test(redirect ? readStderr() : output)) return;
      clearInterval(ready);
      child.stdin.write("\x04");
    }, 50);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`no exit; terminal showed:\n${output}\nstderr:\n${readStderr()}`));
    }, 20_000);
    child.on("close", () => {
      clearInterval(ready);
      clearTimeout(timer);
      done(output);
    });
  });
}
const stderrFile = join(dir, "stderr.log");
const readStderr = () => {
  try {
    return readFileSync(stderrFile, "utf8");
  } catch {
    return "";
  }
};

describe("serve in a terminal", () => {
  it("says on stderr what this is, how to connect a client and how to see the demo; nothing on stdout", { timeout: 30_000 }, async () => {
    const terminal = await serveInTerminal(`2>${stderrFile}`);
    await expect.poll(readStderr, { timeout: 10_000 }).toContain("shutting down");
    expect(terminal.trim()).toBe("");
    const stderr = readStderr();
    expect(stderr).toContain("an MCP server for Retivo interventions, serving the local store");
    expect(stderr).toContain("there is nothing to type here");
    expect(stderr).toContain(`claude mcp add retivo -- node ${CLI} serve`);
    expect(stderr).toContain(`npm --prefix ${ROOT} run demo`);
    // stderr is a file here, not a terminal: its logs stay JSON, for tools.
    expect(stderr).toMatch(/^\{"level":30,.*"msg":"using the local store"\}$/m);
  });

  it("writes readable log lines, not JSON, when stderr is the terminal", { timeout: 30_000 }, async () => {
    const terminal = await serveInTerminal("");
    expect(terminal).toMatch(/^\d\d:\d\d:\d\d INFO  using the local store  store=\S+b\.db\r?$/m);
    expect(terminal).not.toContain('{"level"');
  });
});

describe("readable log lines", () => {
  it("show agent- or model-written values as visible escapes, one line each", () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: 0, msg: "tool refused\u001b[2J", tool: "x\u202eevil", reason: "two\nlines", n: 3 }));
    expect(line).toBe(`${new Date(0).toTimeString().slice(0, 8)} WARN  tool refused\\u001b[2J  tool=x\\u202eevil  reason="two\\nlines"  n=3\n`);
    expect(line.trimEnd().includes("\n")).toBe(false);
  });

  it("put an error's stack on indented lines under it", () => {
    const line = prettyLine(JSON.stringify({ level: 50, msg: "failed", err: { message: "boom", stack: "Error: boom\n    at f (x.js:1:1)" } }));
    expect(line).toMatch(/ERROR failed {2}err=boom\n {4}at f \(x\.js:1:1\)\n$/);
  });
});
