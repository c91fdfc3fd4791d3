/** The command the human is told to run must be this installation's CLI on this store, quoted for a shell. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { approvalsCommand } from "../../src/guard/cli-command.js";

describe("approvalsCommand", () => {
  it("names the clone's dist/cli.js when launched through node, and always the store", () => {
    const command = approvalsCommand("/data/retivo.db", "/home/me/retivo-mcp/dist/cli.js")("approve apr_1");
    expect(command).toBe("node /home/me/retivo-mcp/dist/cli.js approvals approve apr_1 --db /data/retivo.db");
  });

  it("falls back to the installed binary and quotes paths with spaces", () => {
    const command = approvalsCommand("/Users/me/Library/Application Support/retivo-mcp/retivo.db", "/usr/bin/vitest")("deny apr_2");
    expect(command).toBe('retivo-mcp approvals deny apr_2 --db "/Users/me/Library/Application Support/retivo-mcp/retivo.db"');
  });

  it("produces arguments the CLI itself accepts", () => {
    const command = approvalsCommand("/tmp/store.db", "/x/dist/cli.js")("approve apr_3");
    const argv = command.split(" ").slice(2);
    const config = parseConfig(argv, {});
    expect(config).toMatchObject({ command: "approvals", args: ["approve", "apr_3"], dbPath: "/tmp/store.db" });
  });
});
