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
  | { ok: false; status: number; code: number; message: string; id?: string | number | null };

class BodyTooLarge extends Error {}

async function readLimited(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    // Stop reading at once: a client streaming gigabytes must not make us buffer them.
    if (received > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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
      return { ok: false, status: 413, code: JsonRpcCode.ServerError, message: `Payload Too Large: the request body must not exceed ${maxBytes} bytes.` };
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
