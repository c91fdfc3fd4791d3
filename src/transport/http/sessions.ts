/**
 * The MCP sessions of one HTTP server: one McpServer and one SDK transport per
 * session (so a server-to-client request, such as elicitation, reaches the
 * client whose tool call asked for it), a cap on how many exist, and a reaper
 * for sessions whose client went away without a DELETE.
 *
 * Most clients never DELETE (the SDK client's close(), Inspector, mcp-remote,
 * health checks), so at the cap a new session evicts the least recently used
 * one that has no request in flight (sessions without an open stream first)
 * instead of being refused; only when every session is busy is the server
 * saturated. A session with no open stream has no client listening, so it
 * idles out sooner than one with a stream.
 */
import type { ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ErrorCode, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../log.js";

export interface Session {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  /** The credential that opened it (caller.ts): only requests with the same one reach it. */
  readonly credential: string;
  /** Open POST requests: tool calls (and other requests) still running. */
  inFlight: number;
  /** JSON-RPC ids of the requests those POSTs carry, so a drain can answer the ones it cuts. */
  readonly requests: Set<RequestId>;
  /** Open GET streams: a client is listening. */
  streams: number;
  lastActivity: number;
}

/** How full the registry is, for /readyz. */
export interface Saturation {
  open: number;
  max: number;
  /** Sessions with a request in flight: these cannot make room. */
  in_use: number;
  /** No session can make room for a new one. */
  saturated: boolean;
}

export interface SessionRegistryOptions {
  newServer: () => McpServer;
  /** A fresh session id (replica.ts: prefixed with this replica's id); read when a session initializes. */
  mintSessionId: () => string;
  logger: Logger;
  maxSessions: number;
  /** Idle lifetime of a session with an open stream. */
  idleTimeoutMs: number;
  /** Idle lifetime of a session without one (default: idleTimeoutMs). */
  streamlessIdleTimeoutMs?: number;
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

  /** A new session for an initialize request, bound to `credential`, evicting an idle one at the cap; undefined when every session is busy. */
  async open(credential: string): Promise<Session | undefined> {
    if (this.size >= this.options.maxSessions) {
      const victim = this.leastRecentlyUsedIdle();
      if (!victim) return undefined;
      await this.close(victim, "evicted to make room: the session limit was reached and this one was the least recently used idle session");
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => this.options.mintSessionId(),
      maxRequestBodySize: this.options.maxBodyBytes,
      onsessioninitialized: (sessionId) => {
        this.initializing.delete(session);
        this.live.set(sessionId, session);
        this.options.logger.info({ sessionId, sessions: this.live.size }, "MCP session opened");
      },
    });
    const server = this.options.newServer();
    const session: Session = { transport, server, credential, inFlight: 0, requests: new Set(), streams: 0, lastActivity: this.now() };
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

  /** Counts a POST against its session until its response ends (or the client aborts). */
  trackRequest(session: Session, res: ServerResponse, requestIds: readonly RequestId[]): void {
    session.lastActivity = this.now();
    session.inFlight += 1;
    for (const id of requestIds) session.requests.add(id);
    res.once("close", () => {
      session.inFlight -= 1;
      for (const id of requestIds) session.requests.delete(id);
      session.lastActivity = this.now();
      if (this.inFlight() === 0) for (const wake of this.idleWaiters) wake();
    });
  }

  /** A GET stream: a client listening. It neither blocks a drain nor counts as a request in flight. */
  trackStream(session: Session, res: ServerResponse): void {
    session.lastActivity = this.now();
    session.streams += 1;
    res.once("close", () => {
      session.streams -= 1;
      session.lastActivity = this.now();
    });
  }

  touch(session: Session): void {
    session.lastActivity = this.now();
  }

  saturation(): Saturation {
    const all = [...this.live.values(), ...this.initializing];
    const open = all.length;
    return {
      open,
      max: this.options.maxSessions,
      in_use: all.filter((s) => s.inFlight > 0).length,
      saturated: open >= this.options.maxSessions && this.leastRecentlyUsedIdle() === undefined,
    };
  }

  streamCount(): number {
    let total = 0;
    for (const session of this.live.values()) total += session.streams;
    return total;
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

  /** Closes sessions with nothing in flight and no request for their idle timeout. */
  async reapIdle(): Promise<number> {
    const now = this.now();
    const idle = [...this.live.values()].filter((s) => s.inFlight === 0 && s.lastActivity <= now - this.idleTimeoutOf(s));
    await Promise.all(idle.map((s) => this.close(s, "idle timeout")));
    return idle.length;
  }

  startReaper(): void {
    // Check often enough that a session outlives its timeout by at most half of it.
    const shortest = Math.min(this.options.idleTimeoutMs, this.options.streamlessIdleTimeoutMs ?? Infinity);
    const every = Math.max(50, Math.min(shortest / 2, 30_000));
    this.reaper = setInterval(() => void this.reapIdle(), every);
    this.reaper.unref();
  }

  async close(session: Session, why: string): Promise<void> {
    this.forget(session, why);
    // McpServer.close closes its transport, which ends the session's open SSE streams.
    await session.server.close().catch((error: unknown) => this.options.logger.warn({ err: error }, "closing an MCP session failed"));
  }

  /**
   * Answers every request still in flight with an error, for a drain that ran
   * out of time: a client whose call is cut must hear so, not wait on silence.
   */
  async failInFlight(message: string): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const session of [...this.live.values(), ...this.initializing]) {
      for (const id of session.requests) {
        sends.push(session.transport.send({ jsonrpc: "2.0", id, error: { code: ErrorCode.ConnectionClosed, message } }).catch(() => {}));
      }
    }
    await Promise.all(sends);
  }

  async closeAll(why: string): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    await Promise.all([...this.live.values(), ...this.initializing].map((s) => this.close(s, why)));
  }

  private idleTimeoutOf(session: Session): number {
    return session.streams > 0 ? this.options.idleTimeoutMs : (this.options.streamlessIdleTimeoutMs ?? this.options.idleTimeoutMs);
  }

  /** The session to evict at the cap: no request in flight; without a stream before with one; then least recently used. */
  private leastRecentlyUsedIdle(): Session | undefined {
    const idle = [...this.live.values()].filter((s) => s.inFlight === 0);
    idle.sort((a, b) => Number(a.streams > 0) - Number(b.streams > 0) || a.lastActivity - b.lastActivity);
    return idle[0];
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
