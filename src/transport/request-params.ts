/**
 * Requests whose params do not fit the method (`tools/call` without a name,
 * `arguments` as an array or a string, `initialize` with empty params) are
 * answered here with -32602 and a short message naming the fields. The SDK
 * would answer them with -32603 and its validator's dump, which tells a client
 * it hit a server bug rather than that its own request was wrong. Both
 * transports (stdio, Streamable HTTP) check before a message reaches the SDK.
 */
import { ClientRequestSchema, ErrorCode, isJSONRPCRequest, type JSONRPCErrorResponse, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";

const SCHEMAS = new Map<string, z.ZodType>(ClientRequestSchema.options.map((schema) => [schema.shape.method.value, schema]));
const MAX_PROBLEMS = 3;

function problemsOf(error: z.ZodError): string {
  const problems = error.issues.slice(0, MAX_PROBLEMS).map((issue) => {
    const path = issue.path.length ? issue.path.join(".") : "the request";
    // "record" is the validator's word; for a JSON client it is an object.
    const text = issue.message
      .replace(/^Invalid input: /, "")
      .replace(/\brecord\b/g, "object")
      .replace(/^expected (\w+), received undefined$/, "missing (expected $1)");
    return `${path}: ${text}`;
  });
  const more = error.issues.length > MAX_PROBLEMS ? ` (and ${error.issues.length - MAX_PROBLEMS} more)` : "";
  return `${problems.join("; ")}${more}`;
}

/** The -32602 answer for a request of a known method whose params do not fit; undefined for everything else. */
export function invalidParamsResponse(message: JSONRPCMessage): JSONRPCErrorResponse | undefined {
  if (!isJSONRPCRequest(message)) return undefined;
  const schema = SCHEMAS.get(message.method);
  if (!schema) return undefined; // unknown methods: the SDK answers -32601
  const result = schema.safeParse(message);
  if (result.success) return undefined;
  return {
    jsonrpc: "2.0",
    id: message.id,
    error: { code: ErrorCode.InvalidParams, message: `Invalid params for ${message.method}: ${problemsOf(result.error)}.` },
  };
}
