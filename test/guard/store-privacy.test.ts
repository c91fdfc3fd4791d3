/**
 * The store is private: it holds customer emails, the webhook secret and the
 * passphrase hash. Started under the common umask 022, the server creates its
 * data folder 0700 and the database and its -wal and -shm files 0600; an
 * existing store that others can read is reported at start.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, requireBuiltCli } from "./helpers.js";

let home: string | undefined;
beforeAll(requireBuiltCli);
afterEach(() => {
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Runs `serve` over stdio under umask 022 until it answered initialize, then ends its input; returns stderr. */
function serveOnce(env: Record<string, string>): Promise<string> {
  const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
  const child = spawn("sh", ["-c", `umask 022; exec "${process.execPath}" "${CLI}" serve`], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer; stderr: ${stderr}`)), 20_000);
    child.stdout.on("data", (c: Buffer) => {
      if (!c.toString().includes('"id":1')) return;
      // The store is open (and its -wal and -shm exist) while the server runs: look now.
      resolve(stderr);
      clearTimeout(timer);
      child.stdin.end();
    });
    child.stdin.write(`${init}\n`);
  });
}

describe("store files", () => {
  it("creates the data folder 0700 and every store file 0600 under umask 022", async () => {
    home = mkdtempSync(join(tmpdir(), "retivo-home-"));
    chmodSync(home, 0o755);
    const dataDir = join(home, ".local", "share", "retivo-mcp");
    const db = join(dataDir, "retivo.db");
    let seen: Record<string, string> = {};
    const child = serveOnce({ HOME: home, LOG_LEVEL: "silent" }).then(() => {
      seen = Object.fromEntries([dataDir, db, `${db}-wal`, `${db}-shm`].filter(existsSync).map((p) => [p.slice(home!.length), mode(p)]));
    });
    await child;
    expect(seen).toEqual({
      "/.local/share/retivo-mcp": "700",
      "/.local/share/retivo-mcp/retivo.db": "600",
      "/.local/share/retivo-mcp/retivo.db-wal": "600",
      "/.local/share/retivo-mcp/retivo.db-shm": "600",
    });
    expect(mode(join(home, ".local"))).toBe("700");
  });

  it("warns at start when an existing store is readable by others", async () => {
    home = mkdtempSync(join(tmpdir(), "retivo-home-"));
    const db = join(home, "shared.db");
    await serveOnce({ HOME: home, RETIVO_DB: db, LOG_LEVEL: "silent" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    chmodSync(db, 0o644);
    const stderr = await serveOnce({ HOME: home, RETIVO_DB: db, LOG_LEVEL: "warn" });
    expect(stderr).toMatch(/readable by other users of this machine/);
    expect(stderr).toContain(`chmod 600 '${db}'`);
  });
});
