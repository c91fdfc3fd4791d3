/**
 * Transport campaigns for `npm run bench -- reliability`: clients that
 * abandon their HTTP sessions (never DELETE) against the built `serve --http`
 * with its default session cap, and stdio servers fed oversized messages and
 * non-JSON lines. Each counts what was served and what wedged: a transport
 * that stopped answering while its process lived on.
 */
import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CLI, ourEnv, startListening, tempDir } from "../lib/fixture.js";
import { childEnv } from "../lib/stdio-client.js";

export interface SessionCounts {
  clients: number;
  served: number;
  refused: number;
  /** Clients that got no answer within 10 s. */
  wedged: number;
  /** Sessions the server held at the end (at most the cap). */
  openAtEnd: number;
}

/** `clients` clients, `parallel` at a time, each initialize → tools/list → close() without DELETE. */
export async function abandonedSessions(clients: number, parallel: number): Promise<SessionCounts> {
  const fixture = tempDir("sessions");
  const server = await startListening((port) => [CLI, "serve", "--http", "--port", String(port)], ourEnv(fixture.dir, `${fixture.dir}/retivo.db`));
  const url = new URL(`http://127.0.0.1:${server.port}/mcp`);
  const counts: SessionCounts = { clients, served: 0, refused: 0, wedged: 0, openAtEnd: 0 };
  const one = async (i: number) => {
    const client = new Client({ name: `abandoning-${i}`, version: "1" });
    const timeout = new Promise<"wedged">((resolve) => setTimeout(() => resolve("wedged"), 10_000).unref());
    const work = (async () => {
      await client.connect(new StreamableHTTPClientTransport(url));
      await client.listTools();
      return "served" as const;
    })().catch(() => "refused" as const);
    counts[await Promise.race([work, timeout])]++;
    await client.close().catch(() => {}); // the SDK client's close(): no DELETE
  };
  try {
    for (let next = 0; next < clients; next += parallel) {
      await Promise.all(Array.from({ length: Math.min(parallel, clients - next) }, (_, k) => one(next + k)));
    }
    const ready = (await (await fetch(`http://127.0.0.1:${server.port}/readyz`)).json()) as { sessions?: { open: number } };
    counts.openAtEnd = ready.sessions?.open ?? -1;
  } finally {
    await server.stop();
    fixture.dispose();
  }
  return counts;
}

export interface StdioCounts {
  rounds: number;
  /** Oversized messages answered with an error for their id. */
  answered: number;
  /** Processes that exited (code 1) within 10 s of the oversized message. */
  exited: number;
  /** Non-JSON lines answered with -32700 while the server went on serving. */
  parseErrorsAnswered: number;
  wedged: number;
}

/** Starts `serve` on stdio, sends a non-JSON line and then an 11 MiB message, and watches what happens. */
async function oversizedRound(dir: string): Promise<{ answered: boolean; exited: boolean; parseError: boolean }> {
  const child = spawn(process.execPath, [CLI, "serve"], { env: childEnv(ourEnv(dir, `${dir}/retivo.db`)), stdio: ["pipe", "pipe", "ignore"] });
  child.stdin.on("error", () => {});
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = () => stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { id?: unknown; error?: { code: number } });
  const waitFor = async (predicate: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return predicate();
  };
  const send = (message: unknown) => child.stdin.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`);
  try {
    send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
    await waitFor(() => lines().some((m) => m.id === 1), 15_000);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send("this line is not JSON");
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const parseError = await waitFor(() => lines().some((m) => m.id === null && m.error?.code === -32700) && lines().some((m) => m.id === 2), 10_000);
    send({ method: "tools/call", params: { name: "flag_intervention", arguments: { reason: "x".repeat(11 * 1024 * 1024) } }, jsonrpc: "2.0", id: 3 });
    const answered = await waitFor(() => lines().some((m) => m.id === 3 && m.error?.code === -32600), 10_000);
    const code = await Promise.race([exited, new Promise<"alive">((resolve) => setTimeout(() => resolve("alive"), 10_000).unref())]);
    return { answered, exited: code === 1, parseError };
  } finally {
    child.kill("SIGKILL");
  }
}

export async function stdioOversized(rounds: number): Promise<StdioCounts> {
  const fixture = tempDir("stdio");
  const counts: StdioCounts = { rounds, answered: 0, exited: 0, parseErrorsAnswered: 0, wedged: 0 };
  try {
    for (let round = 0; round < rounds; round++) {
      const result = await oversizedRound(fixture.dir);
      if (result.answered) counts.answered++;
      if (result.exited) counts.exited++;
      if (result.parseError) counts.parseErrorsAnswered++;
      if (!result.exited || !result.parseError) counts.wedged++;
    }
  } finally {
    fixture.dispose();
  }
  return counts;
}
