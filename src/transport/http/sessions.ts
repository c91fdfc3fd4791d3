/**
 * The MCP sessions of one HTTP server: one McpServer and one SDK transport per
 * session (so a server-to-client request, such as elicitation, reaches the
 * client whose tool call asked for it), a hard cap on how many exist, and a
 * reaper for sessions whose client went away without a DELETE.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Logger } from "../../log.js";

export interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  /** The credential that opened it (caller.ts): only requests with the same one reach it. */
  readonly credential: string;
  /** Open POST requests: tool calls (and other requests) still running. */
  inFlight: number;
  lastActivity: number;
}

export interface SessionRegistryOptions {
  newServer: () => McpServer;
  logger: Logger;
  maxSessions: number;
  idleTimeoutMs: number;
  /** Passed to the SDK transport, which enforces it for bodies it reads itself. */
  maxBodyBytes: number;
  now?: () => number;
}

export class SessionRegistry {
  private readonly live = new Map<string, Session>();
  /** Created for an initialize request that has not produced a session id yet. */
  private readonly initializing = new Set<Session>();
  private readonly idleWaiters = new Set<() => void>();
  private reaper: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SessionRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Live plus initializing: both hold a server and count against the cap. */
  get size(): number {
    return this.live.size + this.initializing.size;
  }

  get(sessionId: string): Session | undefined {
    return this.live.get(sessionId);
  }

  /** A new session for an initialize request, bound to `credential`, or undefined when the cap is reached. */
  async open(credential: string): Promise<Session | undefined> {
    if (this.size >= this.options.maxSessions) return undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.options.maxBodyBytes,
      onsessioninitialized: (sessionId) => {
        this.initializing.delete(session);
        this.live.set(sessionId, session);
        this.options.logger.info({ sessionId, sessions: this.live.size }, "MCP session opened");
      },
    });
    const server = this.options.newServer();
    const session: Session = { transport, server, credential, inFlight: 0, lastActivity: this.now() };
    this.initializing.add(session);
    // Set before connect: the SDK chains the protocol's own onclose after ours.
    transport.onclose = () => this.forget(session, "transport closed");
    await server.connect(transport);
    return session;
  }

  /** After the initialize request: a transport that never got an id is dropped. */
  async settleInitialization(session: Session): Promise<void> {
    if (session.transport.sessionId === undefined) await this.close(session, "initialization failed");
  }

  /** Counts a request against its session until its response ends (or the client aborts). */
  track(session: Session, res: ServerResponse, counts: boolean): void {
    session.lastActivity = this.now();
    if (!counts) return;
    session.inFlight += 1;
    res.once("close", () => {
      session.inFlight -= 1;
      session.lastActivity = this.now();
      if (this.inFlight() === 0) for (const wake of this.idleWaiters) wake();
    });
  }

  inFlight(): number {
    let total = 0;
    for (const session of this.live.values()) total += session.inFlight;
    for (const session of this.initializing) total += session.inFlight;
    return total;
  }

  /** Resolves true once no request is in flight, false when `deadline` (epoch ms) passes first. */
  waitForNoInFlight(deadline: number): Promise<boolean> {
    if (this.inFlight() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (drained: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(drained);
      };
      const wake = () => finish(true);
      const timer = setTimeout(() => finish(false), Math.max(0, deadline - this.now()));
      this.idleWaiters.add(wake);
    });
  }

  /** Closes sessions with nothing in flight and no request for `idleTimeoutMs`. */
  async reapIdle(): Promise<number> {
    const cutoff = this.now() - this.options.idleTimeoutMs;
    const idle = [...this.live.values()].filter((s) => s.inFlight === 0 && s.lastActivity <= cutoff);
    await Promise.all(idle.map((s) => this.close(s, "idle timeout")));
    return idle.length;
  }

  startReaper(): void {
    // Check often enough that a session outlives its timeout by at most half of it.
    const every = Math.max(50, Math.min(this.options.idleTimeoutMs / 2, 30_000));
    this.reaper = setInterval(() => void this.reapIdle(), every);
    this.reaper.unref();
  }

  async close(session: Session, why: string): Promise<void> {
    this.forget(session, why);
    // McpServer.close closes its transport, which ends the session's open SSE streams.
    await session.server.close().catch((error: unknown) => this.options.logger.warn({ err: error }, "closing an MCP session failed"));
  }

  async closeAll(why: string): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    await Promise.all([...this.live.values(), ...this.initializing].map((s) => this.close(s, why)));
  }

  private forget(session: Session, why: string): void {
    this.initializing.delete(session);
    const sessionId = session.transport.sessionId;
    if (sessionId !== undefined && this.live.get(sessionId) === session) {
      this.live.delete(sessionId);
      this.options.logger.info({ sessionId, why, sessions: this.live.size }, "MCP session closed");
    }
  }
}
