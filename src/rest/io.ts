/**
 * Reading request bodies (bounded, JSON only) and writing JSON answers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidInputError } from "../errors.js";
import { PayloadTooLargeError } from "./errors.js";

export const MAX_BODY_BYTES = 64 * 1024;

/** The body as JSON; undefined when there is none. Malformed JSON is a 400, an oversized body a 413. */
export async function readJsonBody(request: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > maxBytes) {
    request.resume();
    throw new PayloadTooLargeError(`Request body is larger than ${maxBytes} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      request.resume();
      throw new PayloadTooLargeError(`Request body is larger than ${maxBytes} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidInputError("Request body is not valid JSON.", "Send a JSON object with Content-Type: application/json.");
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  response.end(text);
}
