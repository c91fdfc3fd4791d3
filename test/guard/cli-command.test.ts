/** The command the human is told to run must be this installation's CLI on this store, quoted for a shell. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { approvalsCommand } from "../../src/guard/cli-command.js";
import { VERSION } from "../../src/version.js";

describe("approvalsCommand", () => {
  it("names the clone's dist/cli.js when launched through node, and always the store", () => {
    const command = approvalsCommand("/data/retivo.db", "/home/me/retivo-mcp/dist/cli.js")!("approve apr_1");
    expect(command).toBe("node /home/me/retivo-mcp/dist/cli.js approvals approve apr_1 --db /data/retivo.db");
  });

  it("names a global install by its short binary name, and an npx-cached one through npx at this version", () => {
    const global = approvalsCommand("/data/retivo.db", "/usr/local/lib/node_modules/retivo-mcp/dist/cli.js", "linux")!("approve apr_1");
    expect(global).toBe("retivo-mcp approvals approve apr_1 --db /data/retivo.db");
    const windows = approvalsCommand("/data/retivo.db", "C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules\\retivo-mcp\\dist\\cli.js", "win32")!("list");
    expect(windows.startsWith("retivo-mcp approvals list --db ")).toBe(true);
    const npx = approvalsCommand("/data/retivo.db", "/home/me/.npm/_npx/9f2c1a/node_modules/retivo-mcp/dist/cli.js", "linux")!("approve apr_1");
    expect(npx).toBe(`npx retivo-mcp@${VERSION} approvals approve apr_1 --db /data/retivo.db`);
  });

  it("falls back to the installed binary and single-quotes paths a shell would expand", () => {
    const path = "/Users/me/Library/Application Support/it's $(rm -rf ~)!/retivo.db";
    const command = approvalsCommand(path, "/usr/bin/vitest", "linux")!("deny apr_2");
    expect(command).toBe(`retivo-mcp approvals deny apr_2 --db '/Users/me/Library/Application Support/it'\\''s $(rm -rf ~)!/retivo.db'`);
    // A real POSIX shell reads the quoted path back unchanged, expanding nothing.
    const quoted = command.slice(command.indexOf("--db ") + 5);
    expect(execFileSync("sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" })).toBe(path);
    // PowerShell: single quotes, a quote doubled.
    expect(approvalsCommand("/tmp/it's here.db", "x", "win32")!("list")).toBe("retivo-mcp approvals list --db '/tmp/it''s here.db'");
  });

  it("produces arguments the CLI itself accepts", () => {
    const command = approvalsCommand("/tmp/store.db", "/x/dist/cli.js")!("approve apr_3");
    const argv = command.split(" ").slice(2);
    const config = parseConfig(argv, {});
    expect(config).toMatchObject({ command: "approvals", args: ["approve", "apr_3"], dbPath: "/tmp/store.db" });
  });

  it("offers no terminal command for an in-memory store, which no other process can open", () => {
    expect(approvalsCommand(":memory:")).toBeUndefined();
  });
});
