/**
 * The built server (dist/cli.js serve) over stdio, as a client sees it, on a
 * given store file. The child is spawned here rather than by the SDK's
 * StdioClientTransport so that a test can end its stdin, signal it, or kill
 * it, and see how and when it exits.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ElicitRequestSchema, type CallToolResult, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { acceptEverything } from "../../support/harness.js";

export const CLI = resolve(import.meta.dirname, "..", "..", "..", "dist", "cli.js");

export interface Spawned {
  client: Client;
  pid: number;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  kill9(): void;
  /** Ends stdin, as a client that goes away does. */
  endStdin(): void;
  signal(signal: NodeJS.Signals): void;
  /** Exit code, or null when killed by a signal. */
  exited: Promise<number | null>;
  stderr(): string;
  close(): Promise<void>;
}

export interface SpawnOptions {
  confirmApprovals?: boolean;
  name?: string;
  env?: Record<string, string>;
}

/** A client transport over a child's stdin and stdout, framed as the SDK frames stdio. */
class ChildTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  async start(): Promise<void> {
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage()) this.onmessage?.(message);
    });
    this.child.once("exit", () => this.onclose?.());
    this.child.stdin.on("error", (error) => this.onerror?.(error));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.child.stdin.writable) throw new Error("the server's stdin is closed");
    this.child.stdin.write(serializeMessage(message));
  }

  async close(): Promise<void> {
    this.child.stdin.end();
  }
}

export async function spawnServer(dir: string, options: SpawnOptions = {}): Promise<Spawned> {
  const child = spawn(process.execPath, [CLI, "serve"], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      RETIVO_DB: join(dir, "retivo.db"),
      RETIVO_DATA_DIR: dir,
      RETIVO_OUTBOX: join(dir, "outbox"),
      RETIVO_LLM: "template",
      LOG_LEVEL: "error",
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const client = new Client(
    { name: options.name ?? "reliability", version: "1.0.0" },
    { capabilities: options.confirmApprovals ? { elicitation: { form: {} } } : {} },
  );
  if (options.confirmApprovals) client.setRequestHandler(ElicitRequestSchema, (request) => acceptEverything(request));
  await client.connect(new ChildTransport(child));
  const pid = child.pid!;
  const kill9 = () => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  return {
    client,
    pid,
    call: (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: 10_000 }) as Promise<CallToolResult>,
    kill9,
    endStdin: () => child.stdin.end(),
    signal: (signal) => {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    },
    exited,
    stderr: () => stderr,
    async close() {
      await client.close().catch(() => {});
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      kill9();
    },
  };
}
