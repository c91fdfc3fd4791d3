/**
 * Reads a POST body under a size cap and turns it into JSON-RPC messages, or
 * into the precise error a client can act on: 413 (too large), -32700 (not
 * JSON), -32600 (JSON, but not a JSON-RPC message). The SDK transport answers
 * -32700 for both of the latter, which hides what the client got wrong.
 */
import type { IncomingMessage } from "node:http";
import { JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { JsonRpcCode } from "./responses.js";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult =
  | { ok: true; messages: JSONRPCMessage[]; parsed: unknown }
  | { ok: false; status: number; code: number; message: string; id?: string | number | null; closeConnection?: boolean };

class BodyTooLarge extends Error {}

function readLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        // Stop buffering at once, but leave the socket alone: the 413 must still reach
        // the client; it is sent with `connection: close`, which drops the rest.
        stop();
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function idOf(value: unknown): string | number | null {
  if (value && typeof value === "object" && "id" in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === "string" || typeof id === "number") return id;
  }
  return null;
}

export async function readJsonRpcBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  let raw: Buffer;
  try {
    raw = await readLimited(req, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      return { ok: false, status: 413, code: JsonRpcCode.ServerError, message: `Payload Too Large: the request body must not exceed ${maxBytes} bytes.`, closeConnection: true };
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    return { ok: false, status: 400, code: JsonRpcCode.ParseError, message: "Parse error: the request body is not valid JSON." };
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) {
    return { ok: false, status: 400, code: JsonRpcCode.InvalidRequest, message: "Invalid Request: empty batch." };
  }
  const messages: JSONRPCMessage[] = [];
  for (const item of items) {
    const result = JSONRPCMessageSchema.safeParse(item);
    if (!result.success) {
      return {
        ok: false,
        status: 400,
        code: JsonRpcCode.InvalidRequest,
        message: "Invalid Request: expected a JSON-RPC 2.0 message (jsonrpc: '2.0', method, optional id and params).",
        id: idOf(item),
      };
    }
    messages.push(result.data);
  }
  return { ok: true, messages, parsed };
}
