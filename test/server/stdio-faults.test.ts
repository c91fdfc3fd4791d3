/**
 * The built binary over stdio, fed what a broken or hostile client sends: a
 * line that is not JSON gets a parse error (-32700) and the server serves on;
 * malformed requests get -32602 with a short message, not -32603 with a zod
 * dump; a message of 10 MiB or more gets an error for its id and the process
 * exits (code 1, one line on stderr saying why) instead of living on with a
 * dead transport; and a client that ends stdin sees the process exit promptly.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "../../dist/cli.js");

interface Running {
  child: ChildProcessWithoutNullStreams;
  send(line: string): void;
  reply(id: number | null, nth?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; ms: number }>;
  stderr(): string;
}

const running: Running[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function start(): Running {
  const dir = mkdtempSync(join(tmpdir(), "retivo-stdio-faults-"));
  dirs.push(dir);
  const child = spawn(process.execPath, [CLI, "serve"], {
    env: { PATH: process.env.PATH, HOME: dir, RETIVO_DB: join(dir, "s.db"), RETIVO_DATA_DIR: dir, LOG_LEVEL: "error" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin.on("error", () => {});
  let exitStarted = 0;
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, ms: Date.now() - exitStarted })),
  );
  const messages = () =>
    stdout
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const r: Running = {
    child,
    send: (line) => {
      exitStarted = Date.now();
      child.stdin.write(`${line}\n`);
    },
    async reply(id, nth = 0) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = messages().filter((m) => m.id === id)[nth];
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no reply for id ${id}; stdout=${stdout.slice(0, 2000)} stderr=${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    exited,
    stderr: () => stderr,
  };
  running.push(r);
  return r;
}

const frame = (id: number | null, method: string, params?: unknown) => JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
const INIT_PARAMS = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "stdio-faults", version: "1" } };

async function initialized(): Promise<Running> {
  const r = start();
  r.send(frame(1, "initialize", INIT_PARAMS));
  await r.reply(1);
  r.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  return r;
}

describe("stdio input that is not a good message", () => {
  it("answers a line that is not JSON with -32700 and keeps serving", async () => {
    const r = await initialized();
    r.send("this is not json {");
    expect(await r.reply(null)).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700, message: expect.stringMatching(/^Parse error/) } });
    r.send(frame(2, "tools/list"));
    expect((await r.reply(2)).result).toMatchObject({ tools: expect.any(Array) });
  });

  it("answers JSON that is not a JSON-RPC message with -32600", async () => {
    const r = await initialized();
    r.send(JSON.stringify({ hello: "world", id: 7 }));
    expect(await r.reply(7)).toMatchObject({ error: { code: -32600 } });
    r.send(frame(2, "tools/list"));
    expect((await r.reply(2)).result).toBeDefined();
  });

  it.each([
    ["arguments as an array", frame(3, "tools/call", { name: "list_interventions", arguments: [] }), /arguments/],
    ["arguments as a string", frame(3, "tools/call", { name: "list_interventions", arguments: "limit=5" }), /arguments/],
    ["tools/call without a name", frame(3, "tools/call", { arguments: {} }), /name/],
    ["tools/call without params", frame(3, "tools/call"), /params/],
  ])("answers %s with -32602 and a short message", async (_name, line, field) => {
    const r = await initialized();
    r.send(line);
    const { error } = (await r.reply(3)) as { error: { code: number; message: string } };
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(/^Invalid params for tools\/call: /);
    expect(error.message).toMatch(field);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toMatch(/[[{]\n/);
  });

  it("answers initialize with empty params with -32602", async () => {
    const r = start();
    r.send(frame(1, "initialize", {}));
    const { error } = (await r.reply(1)) as { error: { code: number; message: string } };
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(/^Invalid params for initialize: .*protocolVersion/);
    expect(error.message.length).toBeLessThan(300);
  });
});

describe("stdio transport end", () => {
  it("a message of 10 MiB or more gets an error for its id, then the process exits 1 with a one-line reason", async () => {
    const r = await initialized();
    const huge = JSON.stringify({ method: "tools/call", params: { name: "flag_intervention", arguments: { reason: "x".repeat(11 * 1024 * 1024) } }, jsonrpc: "2.0", id: 9 });
    r.send(huge);
    expect(await r.reply(9)).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/10 MiB/) } });
    const { code, ms } = await r.exited;
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    const lines = r.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^retivo-mcp: .*10 MiB/);
  });

  it("exits 0 promptly when the client ends stdin", async () => {
    const r = await initialized();
    r.send(frame(2, "tools/list"));
    await r.reply(2);
    r.child.stdin.end();
    const { code } = await r.exited;
    expect(code).toBe(0);
  });
});
