/**
 * The guarded call in API mode (HttpBackend over real HTTP to the local REST
 * server): an intervention an operator approved on the Retivo side while the
 * human's form was open is reported as already there, with nothing sent a
 * second time; a status this server does not know is left to the API and
 * the human, not refused before anyone is asked; and the approvals CLI,
 * in-process, reports what a running server did with the human's approval.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { runApprovalsCommand } from "../../src/guard/cli-approvals.js";
import { silentLogger } from "../../src/log.js";
import { startRestServer, type RestServer } from "../../src/rest/server.js";
import { openStore, type Store } from "../../src/store/index.js";
import { tempDir } from "../contract/harness.js";
import { startHarness, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";
import { fakeTerminal } from "./fake-terminal.js";
import { acceptConfirmed, cliEnv } from "./helpers.js";

const KEY = "rt_test_guardedcall0000000000000";

/** A loopback proxy in front of the REST server that counts PUTs and can show a status the server never had. */
interface Proxy {
  url: string;
  puts: string[];
  /** Shows this intervention with this status in every list the API answers. */
  statusShown: { id: string; status: string } | undefined;
  close(): Promise<void>;
}

function proxyTo(target: string): Promise<Proxy> {
  const upstream = new URL(target);
  const proxy: Proxy = { url: "", puts: [], statusShown: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    if (req.method === "PUT") proxy.puts.push(req.url ?? "");
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const shown = proxy.statusShown;
      const rewrite = shown !== undefined && req.method === "GET" && /^\/api\/interventions\?/.test(req.url ?? "");
      if (!rewrite) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        const list = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { interventions: { id: string; status: string }[] };
        for (const item of list.interventions) if (item.id === shown!.id) item.status = shown!.status;
        const body = JSON.stringify(list);
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, "content-length": Buffer.byteLength(body) }).end(body);
      });
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

let h: Harness | undefined;
let proxy: Proxy | undefined;
let rest: RestServer | undefined;
let restStore: Store | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  await rest?.close();
  await restStore?.close();
  dir?.remove();
  h = proxy = rest = restStore = dir = undefined;
});

async function retivoApi(): Promise<{ id: string; remoteStatus: () => string }> {
  dir = tempDir();
  const config = parseConfig(["api", "--port", "0", "--host", "127.0.0.1"], {
    RETIVO_DB: join(dir.path, "rest.db"),
    RETIVO_LLM: "template",
    RETIVO_DATA_DIR: dir.path,
    RETIVO_API_KEYS: KEY,
    RETIVO_API_RATE_PER_MINUTE: "100000",
  });
  restStore = await openStore(config);
  rest = await startRestServer({ config, logger: silentLogger(), store: restStore, startDispatcher: false });
  proxy = await proxyTo(rest.url);
  const db = dbOf(restStore);
  const id = db.prepare("SELECT id FROM interventions WHERE tenant_id = 'test' AND status = 'planned' AND flagged = 0 ORDER BY seq DESC LIMIT 1").pluck().get() as string;
  return { id, remoteStatus: () => db.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id) as string };
}

const textOf = (result: { content: unknown }) => (result.content as { text: string }[]).map((c) => c.text).join("\n");

describe("the guarded call in API mode", () => {
  it("reports as already there what an operator approved on the Retivo side while the human's form was open", async () => {
    const { id, remoteStatus } = await retivoApi();
    const asked: ElicitRequest[] = [];
    h = await startHarness({
      env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: proxy!.url },
      overrides: { startReleaseLoop: false },
      onElicit: async (request) => {
        asked.push(request);
        // Someone else approves it upstream before this human answers.
        const answer = await fetch(`${rest!.url}/api/interventions/${id}/approve`, { method: "PUT", headers: { authorization: `Bearer ${KEY}` } });
        expect(answer.status).toBe(200);
        return acceptConfirmed(request);
      },
    });
    const result = await h.call("approve_intervention", { intervention_id: id });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ id, status: "approved" });
    expect(textOf(result)).toBe(`${id} is already approved (another approval or an operator got there first); nothing more to do.`);
    expect(asked).toHaveLength(1);
    expect(remoteStatus()).toBe("approved");
    // The server itself sent no approval: the only approve went straight to the API.
    expect(proxy!.puts).toEqual([]);
  });

  it("asks a human about a status this server does not know, leaving the verdict to the API", async () => {
    const { id, remoteStatus } = await retivoApi();
    h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: proxy!.url }, overrides: { startReleaseLoop: false } });
    proxy!.statusShown = { id, status: "scheduled" };
    const result = await h.call("approve_intervention", { intervention_id: id });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ id, status: "scheduled", approval: { status: "pending_approval", approval_id: expect.stringMatching(/^apr_/) } });
    expect(remoteStatus()).toBe("planned");
    expect(proxy!.puts).toEqual([]);
  });
});

describe("the approvals CLI in API mode, in-process", () => {
  async function approveInTerminal(approvalId: string, apiWaitMs: number) {
    const terminal = fakeTerminal([
      { expect: /\[y\/N\] $/, send: "y\r" },
      { expect: /Note.*: $/, send: "\r" },
    ]);
    const config = parseConfig(["approvals", "approve", approvalId], cliEnv(h!.dir));
    const code = await runApprovalsCommand(config, config.args, terminal.io, { openLocalExecutor: () => { throw new Error("API mode executes in the server"); }, apiWaitMs });
    return { code, terminal };
  }

  it("waits for the running server to execute it and says it was released", async () => {
    const { id, remoteStatus } = await retivoApi();
    h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: proxy!.url }, overrides: { startReleaseLoop: true } });
    const pending = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const { code, terminal } = await approveInTerminal(pending.approval.approval_id, 20_000);
    expect(terminal.stdout()).toMatch(new RegExp(`Released: ${id} is approved \\(by human:cli\\)`));
    expect(code).toBe(0);
    expect(remoteStatus()).toBe("approved");
    expect(proxy!.puts).toEqual([`/api/interventions/${id}/approve`]);
  }, 40_000);

  it("says plainly that nothing was released yet when no server executes it", async () => {
    const { id, remoteStatus } = await retivoApi();
    h = await startHarness({ env: { RETIVO_API_KEY: KEY, RETIVO_API_URL: proxy!.url }, overrides: { startReleaseLoop: false } });
    const pending = await h.ok<{ approval: { approval_id: string } }>("approve_intervention", { intervention_id: id });
    const { code, terminal } = await approveInTerminal(pending.approval.approval_id, 300);
    expect(code).toBe(1);
    expect(terminal.stdout()).toMatch(/Approved, but not released yet: in API mode a running retivo-mcp server on this store executes it \(the key stays in the server\)/);
    expect(terminal.stdout()).not.toContain("Released:");
    expect(remoteStatus()).toBe("planned");
    expect(proxy!.puts).toEqual([]);
  });
});
