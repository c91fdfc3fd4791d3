/**
 * The stdio transport: one JSON-RPC message per line on stdin and stdout.
 * Ours rather than the SDK's because of what the SDK's does with bad input:
 * a line that is not JSON is dropped in silence, and a message of 10 MiB or
 * more closes the transport with no answer and leaves the process running.
 * Here a non-JSON line gets -32700, a non-message -32600, bad params -32602,
 * and an oversized message is skipped without being buffered, answered with
 * an error for its id (read from its last bytes, where the SDK client puts
 * it), and ends the transport with a reason the process exits on.
 */
import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { invalidParamsResponse } from "./request-params.js";

export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** An oversized message with no end in sight is refused after this long without a chunk. */
const OVERSIZED_IDLE_MS = 1000;
/** Enough of an oversized message's start and end to find its id. */
const KEPT_BYTES = 1024;

/** Why the transport closed; `clean` when the client simply went away. */
export interface TransportEnd {
  clean: boolean;
  reason: string;
}

interface Oversized {
  bytes: number;
  head: Buffer;
  tail: Buffer;
  timer: NodeJS.Timeout | undefined;
}

const ID = String.raw`(-?\d{1,20}|"(?:[^"\\]|\\.){0,256}")`;
const ID_AT_END = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`);
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}`);

function idIn(text: string, pattern: RegExp): RequestId | null {
  const match = pattern.exec(text);
  if (!match) return null;
  const id = JSON.parse(match[1]!) as unknown;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

function plainId(value: unknown): RequestId | null {
  if (value && typeof value === "object" && !Array.isArray(value) && "id" in value) {
    const { id } = value as { id: unknown };
    if (typeof id === "string" || typeof id === "number") return id;
  }
  return null;
}

function errorResponse(id: RequestId | null, code: number, message: string): string {
  return `${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`;
}

export class StdioLineTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /** Set before `onclose` runs. */
  end: TransportEnd | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private oversized: Oversized | undefined;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {}

  async start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("end", this.onEnd);
    this.input.on("error", this.onInputError);
    this.output.on("error", this.onOutputError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    this.finish({ clean: true, reason: "the server closed the connection" });
  }

  private readonly onData = (chunk: Buffer): void => {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, newline === -1 ? chunk.length : newline);
      if (this.oversized) this.skip(piece);
      else this.collect(piece);
      if (newline === -1) break;
      this.lineEnded();
      start = newline + 1;
    }
    if (this.oversized) this.armOversizedTimer();
  };

  private readonly onEnd = (): void => this.finish({ clean: true, reason: "the client closed stdin" });
  private readonly onInputError = (error: Error): void => this.finish({ clean: false, reason: `reading stdin failed: ${error.message}` });
  private readonly onOutputError = (error: NodeJS.ErrnoException): void =>
    this.finish({ clean: false, reason: `writing to stdout failed (${error.code ?? error.message}): the client is gone` });

  private collect(piece: Buffer): void {
    if (this.pendingBytes + piece.length <= this.maxMessageBytes) {
      if (piece.length > 0) this.pending.push(piece);
      this.pendingBytes += piece.length;
      return;
    }
    // Past the limit: keep only what identifies the message, and skip the rest as it arrives.
    const sofar = Buffer.concat([...this.pending, piece]);
    this.oversized = { bytes: sofar.length, head: sofar.subarray(0, KEPT_BYTES), tail: sofar.subarray(-KEPT_BYTES), timer: undefined };
    this.pending = [];
    this.pendingBytes = 0;
  }

  private skip(piece: Buffer): void {
    const oversized = this.oversized!;
    oversized.bytes += piece.length;
    oversized.tail = Buffer.concat([oversized.tail, piece]).subarray(-KEPT_BYTES);
  }

  private lineEnded(): void {
    if (this.oversized) return this.refuseOversized();
    const line = Buffer.concat(this.pending).toString("utf8").replace(/\r$/, "");
    this.pending = [];
    this.pendingBytes = 0;
    if (line.trim() !== "") this.handleLine(line);
  }

  private handleLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      void this.write(errorResponse(null, ErrorCode.ParseError, "Parse error: this line is not JSON; send one JSON-RPC message per line.")).catch(() => {});
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (!message.success) {
      const text = "Invalid Request: expected a JSON-RPC 2.0 message (jsonrpc: '2.0', method, optional id and params) on one line.";
      void this.write(errorResponse(plainId(parsed), ErrorCode.InvalidRequest, text)).catch(() => {});
      return;
    }
    const refusal = invalidParamsResponse(message.data);
    if (refusal) {
      void this.send(refusal).catch(() => {});
      return;
    }
    this.onmessage?.(message.data);
  }

  private armOversizedTimer(): void {
    const oversized = this.oversized!;
    if (oversized.timer) clearTimeout(oversized.timer);
    oversized.timer = setTimeout(() => this.refuseOversized(), OVERSIZED_IDLE_MS);
  }

  private refuseOversized(): void {
    const oversized = this.oversized;
    if (!oversized) return;
    this.oversized = undefined;
    if (oversized.timer) clearTimeout(oversized.timer);
    const id = idIn(oversized.tail.toString("utf8"), ID_AT_END) ?? idIn(oversized.head.toString("utf8"), ID_AT_START);
    const mib = (oversized.bytes / (1024 * 1024)).toFixed(1);
    const limit = `${this.maxMessageBytes / (1024 * 1024)} MiB`;
    const message = `Request too large: a stdio message must be smaller than ${limit}; this one had ${mib} MiB or more. The server is closing the connection.`;
    const end = { clean: false, reason: `a message of ${mib} MiB or more exceeded the ${limit} limit of one stdio message; closing the connection` };
    // Answer first, so the client's call fails with this rather than a dead pipe.
    this.write(errorResponse(id, ErrorCode.InvalidRequest, message)).then(
      () => this.finish(end),
      () => this.finish(end),
    );
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the stdio transport is closed"));
    return new Promise((resolve, reject) => {
      this.output.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  private finish(end: TransportEnd): void {
    if (this.closed) return;
    this.closed = true;
    this.end = end;
    if (this.oversized?.timer) clearTimeout(this.oversized.timer);
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.off("error", this.onInputError);
    this.input.pause();
    this.onclose?.();
  }
}
