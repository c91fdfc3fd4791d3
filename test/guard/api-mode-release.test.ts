/**
 * In API mode the key stays in the server: the human approves in the CLI, and
 * the running server (HttpBackend over real HTTP to the local REST server)
 * executes the approved request by itself within a few seconds. The CLI waits
 * for that and says what happened; without a server it says the truth: not
 * released yet.
 */
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Db } from "../../src/backend/local/store.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startRestServer, type RestServer } from "../../src/rest/server.js";
import { tempDir } from "../contract/harness.js";
import { startHarness, type Harness } from "../support/harness.js";
import { cliEnv, requireBuiltCli, runCliInPty } from "./helpers.js";

const KEY = "rt_test_release00000000000000000";

interface Pending {
  status: string;
  approval: { approval_id: string };
}

let rest: RestServer | undefined;
let restDb: Db | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
let h: Harness | undefined;

beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  await rest?.close();
  restDb?.close();
  dir?.remove();
  h = rest = restDb = dir = undefined;
});

async function apiModeServer(releaseLoop: boolean): Promise<{ id: string; remoteStatus: () => string }> {
  dir = tempDir();
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(dir.path, "rest.db"),
    RETIVO_LLM: "template",
    RETIVO_DATA_DIR: dir.path,
    RETIVO_API_KEYS: KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000",
  });
  const store = (restDb = openStore(config.dbPath));
  rest = await startRestServer({ config, logger: silentLogger(), db: store, startDispatcher: false });
  h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: rest.url }, overrides: { startReleaseLoop: releaseLoop } });
  const id = store.prepare("SELECT id FROM interventions WHERE tenant_id = 'test' AND status = 'planned' AND flagged = 0 ORDER BY seq DESC LIMIT 1").pluck().get() as string;
  return { id, remoteStatus: () => store.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id) as string };
}

const approveInTerminal = (approvalId: string) =>
  runCliInPty(`approvals approve ${approvalId}`, cliEnv(h!.dir), [
    { expect: /\[y\/N\] $/, send: "y\r" },
    { expect: /Note.*: $/, send: "\r" },
  ]);

describe("API mode: the running server releases what the human approved", () => {
  it("executes the CLI's approval against the API within seconds, and the CLI says it was released", async () => {
    const { id, remoteStatus } = await apiModeServer(true);
    const pending = await h!.ok<Pending>("approve_intervention", { intervention_id: id });
    expect(pending.status).toBe("planned");
    const { code, output } = await approveInTerminal(pending.approval.approval_id);
    expect(output).toMatch(new RegExp(`Released: ${id} is approved`));
    expect(code).toBe(0);
    expect(remoteStatus()).toBe("approved");
    expect(await h!.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
  });

  it("says plainly that nothing was released yet when no server picks it up", async () => {
    const { id, remoteStatus } = await apiModeServer(false);
    const pending = await h!.ok<Pending>("approve_intervention", { intervention_id: id });
    const { code, output } = await approveInTerminal(pending.approval.approval_id);
    expect(code).toBe(1);
    expect(output).toMatch(/Approved, but not released yet: in API mode a running retivo-mcp server on this store executes it/);
    expect(output).not.toContain("Released:");
    expect(remoteStatus()).toBe("planned");
    // The agent's next call (its server holds the key) executes it.
    expect(await h!.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    expect(remoteStatus()).toBe("approved");
  }, 40_000);
});
