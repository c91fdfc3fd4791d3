/**
 * The built binary over stdio: stdout carries nothing but JSON-RPC, even with
 * debug logging on, while logs go to stderr.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "../../dist/cli.js");

function frame(id: number, method: string, params: object = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n";
}

describe("stdio binary", () => {
  it("answers initialize and tools/list with only JSON-RPC on stdout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retivo-stdio-"));
    const child = spawn(process.execPath, [CLI, "serve"], {
      env: { PATH: process.env.PATH, HOME: dir, RETIVO_DB: join(dir, "s.db"), RETIVO_DATA_DIR: dir, LOG_LEVEL: "debug" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const waitFor = async (predicate: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out; stdout=${stdout} stderr=${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    child.stdin.write(
      frame(1, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "stdio-test", version: "1" } }),
    );
    await waitFor(() => stdout.includes('"id":1'));
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
    child.stdin.write(frame(2, "tools/list"));
    child.stdin.write(frame(3, "tools/call", { name: "list_interventions", arguments: { limit: 3 } }));
    await waitFor(() => stdout.includes('"id":3'));
    child.stdin.end();
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });

    const lines = stdout.split("\n").filter((l) => l.length > 0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
    const byId = new Map(lines.map((l) => JSON.parse(l) as { id: number; result: Record<string, unknown> }).map((m) => [m.id, m]));
    expect(byId.get(1)?.result).toMatchObject({ serverInfo: { name: "retivo-mcp" } });
    expect((byId.get(2)?.result.tools as unknown[]).length).toBe(9);
    expect(byId.get(3)?.result).toMatchObject({ structuredContent: { interventions: expect.any(Array) } });
    // The logs exist, and they went to stderr.
    expect(stderr).toContain("retivo-mcp serving MCP on stdio");
    // A client, not a person: no terminal welcome, and the logs stay JSON.
    expect(stderr).not.toContain("nothing to type here");
    expect(stderr.split("\n").filter(Boolean).every((line) => line.startsWith("{"))).toBe(true);
  });
});
