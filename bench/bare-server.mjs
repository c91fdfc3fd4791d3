#!/usr/bin/env node
/**
 * The floor: a bare MCP server on the same SDK with one no-op tool, nothing
 * else. Plain JavaScript so it starts the way dist/cli.js does (no loader).
 * With --replay FILE it also has a tool `replay` that answers with the
 * CallToolResult stored in FILE, unchanged: the floor for a call that
 * returns those very bytes, so a ratio against it isolates our own work
 * from the cost of the payload itself. With --replay-get FILE, a tool
 * `replay_get` does the same for our get_intervention result.
 *
 *   node bench/bare-server.mjs [--replay FILE] [--replay-get FILE]  stdio
 *   node bench/bare-server.mjs --http --port P  Streamable HTTP at 127.0.0.1:P/mcp (stateful sessions)
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

const args = process.argv.slice(2);
const stored = (flag) => (args.includes(flag) ? JSON.parse(readFileSync(args[args.indexOf(flag) + 1], "utf8")) : undefined);
const replayed = stored("--replay");
const replayedGet = stored("--replay-get");

function newServer() {
  const server = new McpServer({ name: "bare", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.registerTool("noop", { description: "Does nothing." }, async () => ({ content: [{ type: "text", text: "ok" }] }));
  if (replayed) server.registerTool("replay", { description: "Answers with the stored result." }, async () => replayed);
  if (replayedGet) server.registerTool("replay_get", { description: "Answers with the stored get result." }, async () => replayedGet);
  return server;
}

async function serveStdio() {
  const server = newServer();
  const transport = new StdioServerTransport();
  transport.onclose = () => process.exit(0);
  process.stdin.on("end", () => process.exit(0));
  await server.connect(transport);
}

function serveHttp(port) {
  const app = createMcpExpressApp({ host: "127.0.0.1" });
  const sessions = new Map();
  app.post("/mcp", async (req, res) => {
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      if (id || !isInitializeRequest(req.body)) {
        res.status(400).json({ jsonrpc: "2.0", error: { code: -32000, message: "no such session" }, id: null });
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, req.body);
  });
  const bySession = async (req, res) => {
    const transport = sessions.get(req.headers["mcp-session-id"]);
    if (!transport) return void res.status(400).send("no such session");
    await transport.handleRequest(req, res);
  };
  app.get("/mcp", bySession);
  app.delete("/mcp", bySession);
  const listener = app.listen(port, "127.0.0.1");
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => listener.close(() => process.exit(0)));
}

if (args.includes("--http")) serveHttp(Number(args[args.indexOf("--port") + 1]));
else await serveStdio();
