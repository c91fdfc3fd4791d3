/**
 * In API mode the key stays in the server: the human approves in the CLI, and
 * the running server (HttpBackend over real HTTP to the local REST server)
 * executes the approved request by itself within a few seconds. The CLI waits
 * for that and says what happened; without a server it says the truth: not
 * released yet.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/index.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startRestServer, type RestServer } from "../../src/rest/server.js";
import { tempDir } from "../contract/harness.js";
import { startHarness, type Harness } from "../support/harness.js";
import { answerApproval } from "../../src/guard/human-answer.js";
import { createReleaser } from "../../src/guard/release.js";
import { setPassphrase } from "../../src/guard/passphrase.js";
import { acceptConfirmed, approvalRows, auditOf, cliEnv, openPage, postPage, requireBuiltCli, runCliInPty } from "./helpers.js";
import { dbOf } from "../support/sqlite.js";

const KEY = "rt_test_release00000000000000000";

interface Pending {
  status: string;
  approval: { approval_id: string };
}

/** A loopback proxy in front of the REST server that counts what reaches it, and can be made to fail. */
interface CountingProxy {
  url: string;
  puts(): string[];
  failWith: number | undefined;
  /** Fails only the PUTs (the transitions), so reads still work. */
  failPutsWith: number | undefined;
  close(): Promise<void>;
}

function countingProxy(target: string): Promise<CountingProxy> {
  const seen: string[] = [];
  const upstream = new URL(target);
  const proxy: CountingProxy = { url: "", puts: () => seen.filter((line) => line.startsWith("PUT ")), failWith: undefined, failPutsWith: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const failWith = proxy.failWith ?? (req.method === "PUT" ? proxy.failPutsWith : undefined);
    if (failWith) {
      req.resume();
      res.writeHead(failWith, { "content-type": "application/json" }).end(JSON.stringify({ error: "unavailable" }));
      return;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      proxy.close = () => new Promise((done) => server.close(() => done()));
      resolve(proxy);
    }),
  );
}

let proxy: CountingProxy | undefined;
let rest: RestServer | undefined;
let restStore: Store | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
let h: Harness | undefined;

beforeAll(requireBuiltCli);
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  proxy = undefined;
  await rest?.close();
  await restStore?.close();
  dir?.remove();
  h = rest = restStore = dir = undefined;
});

async function apiModeServer(releaseLoop: boolean, options: { elicit?: boolean } = {}): Promise<{ id: string; remoteStatus: () => string }> {
  dir = tempDir();
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(dir.path, "rest.db"),
    RETIVO_LLM: "template",
    RETIVO_DATA_DIR: dir.path,
    RETIVO_API_KEYS: KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000",
  });
  restStore = await openStore(config);
  const store = dbOf(restStore);
  rest = await startRestServer({ config, logger: silentLogger(), store: restStore, startDispatcher: false });
  proxy = await countingProxy(rest.url);
  h = await startHarness({
    env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: proxy.url },
    overrides: { startReleaseLoop: releaseLoop },
    ...(options.elicit ? { onElicit: acceptConfirmed } : {}),
  });
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

  it("sends one PUT for one approval, however many releasers race, and none once it is already there", async () => {
    const { id, remoteStatus } = await apiModeServer(false);
    const pending = await h!.ok<Pending>("approve_intervention", { intervention_id: id });
    await answerApproval(h!.runtime.store, pending.approval.approval_id, { approve: true, via: "cli", answer: "approve", interactive: true });
    const releasers = Array.from({ length: 8 }, () => createReleaser({ store: h!.runtime.store, executor: h!.runtime.backend, backendId: `api-test ${proxy!.url}`, logger: silentLogger() }));
    const outcomes = await Promise.all(releasers.map((r) => r.release(pending.approval.approval_id)));
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["executed", ...Array<string>(7).fill("not_approved")]);
    expect(proxy!.puts()).toEqual([`PUT /api/interventions/${id}/approve`]);
    expect(remoteStatus()).toBe("approved");
    expect(approvalRows(h!.runtime, id)[0]).toMatchObject({ status: "executed", outcome: `${id} is now approved` });
    expect(auditOf(h!.runtime, id).find((e) => e.event === "approval_executed")).toMatchObject({ actor: "system:guard", detail: { approval_id: pending.approval.approval_id, status: "approved" } });
    // A late release that reads 'approved' sends nothing: a PUT on a stale read could re-approve a pause.
    expect((await releasers[0]!.release(pending.approval.approval_id)).kind).not.toBe("executed");
    expect(proxy!.puts()).toHaveLength(1);
  });

  it("rolls back over the API with the reason the human approved", async () => {
    await apiModeServer(false);
    const id = dbOf(restStore!).prepare("SELECT id FROM interventions WHERE tenant_id = 'test' AND status = 'delivered' AND channel = 'in_app' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    const pending = await h!.ok<Pending>("rollback_intervention", { intervention_id: id, reason: "sent to the wrong segment" });
    await answerApproval(h!.runtime.store, pending.approval.approval_id, { approve: true, via: "cli", answer: "approve", interactive: true });
    const releaser = createReleaser({ store: h!.runtime.store, executor: h!.runtime.backend, backendId: `api-test ${proxy!.url}`, logger: silentLogger() });
    expect(await releaser.release(pending.approval.approval_id)).toMatchObject({ kind: "executed", status: "rolled_back" });
    expect(proxy!.puts()).toEqual([`PUT /api/interventions/${id}/rollback`]);
    expect(dbOf(restStore!).prepare("SELECT status, rollback_reason FROM interventions WHERE id = ?").get(id)).toEqual({ status: "rolled_back", rollback_reason: "sent to the wrong segment" });
  });

  it("asks the human again when the intervention passes through the same state later (no version in the API)", async () => {
    const { id } = await apiModeServer(false, { elicit: true });
    await h!.runtime.backend.pause(id);
    expect(await h!.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    await h!.runtime.backend.pause(id);
    const asked = (await dbOf(h!.runtime).prepare("SELECT COUNT(*) FROM approvals WHERE intervention_id = ?").pluck().get(id)) as number;
    expect(await h!.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    expect(dbOf(h!.runtime).prepare("SELECT COUNT(*) FROM approvals WHERE intervention_id = ?").pluck().get(id)).toBe(asked + 1);
  });

  it("tells the truth on the page when the API fails right after the human approved: not released yet", async () => {
    const { id, remoteStatus } = await apiModeServer(false);
    await setPassphrase(h!.runtime.store, "the operator's own phrase");
    const pending = await h!.ok<Pending & { approval: { approval_url: string } }>("approve_intervention", { intervention_id: id });
    const page = await openPage(pending.approval.approval_url);
    proxy!.failWith = 503;
    const answer = await postPage(pending.approval.approval_url, { token: page.token, csrf: page.csrf, decision: "approve", passphrase: "the operator's own phrase" });
    expect(answer.html).toMatch(/Approved, but not released yet/);
    expect(answer.html).not.toMatch(/nothing was approved/);
    proxy!.failWith = undefined;
    expect(await h!.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    expect(remoteStatus()).toBe("approved");
  });

  it("audits an approved action the API then refused as failed, never as executed, and asks anew next time", async () => {
    const { id, remoteStatus } = await apiModeServer(false, { elicit: true });
    proxy!.failPutsWith = 400;
    expect(await h!.fails("approve_intervention", { intervention_id: id })).toMatch(/A human approved this, but executing it failed: .*Nothing changed\./);
    expect(remoteStatus()).toBe("planned");
    const [row] = approvalRows(h!.runtime, id);
    expect(row).toMatchObject({ status: "failed", outcome: expect.stringMatching(/.+/) });
    const trail = auditOf(h!.runtime, id);
    expect(trail.map((e) => e.event)).toEqual(["approval_requested", "approval_answered", "approval_execution_failed", "approval_refused"]);
    expect(trail[2]).toMatchObject({ actor: "system:guard", detail: { approval_id: row!.id, action: "approve", error: row!.outcome } });
    // A failed request is spent: the next call asks the human again, and this time it runs.
    proxy!.failPutsWith = undefined;
    expect(await h!.ok("approve_intervention", { intervention_id: id })).toEqual({ id, status: "approved" });
    expect(approvalRows(h!.runtime, id).map((r) => r.status)).toEqual(["failed", "executed"]);
    expect(remoteStatus()).toBe("approved");
  });
});
