/**
 * Every refusal the HTTP layer makes is a JSON-RPC error object, so MCP
 * clients can show its message instead of a bare status line.
 */
import type { ServerResponse } from "node:http";

/** JSON-RPC and MCP error codes used at the HTTP boundary. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  /** Transport-level refusal (SDK convention for HTTP-level errors). */
  ServerError: -32000,
  SessionNotFound: -32001,
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(payload);
}

export function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  options: { id?: string | number | null; headers?: Record<string, string> } = {},
): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: options.id ?? null }, options.headers);
}
