/**
 * A real HTTP server on 127.0.0.1 that speaks the chat-completions protocol,
 * scripted per request. The `openai` package talks to it exactly as it would to
 * OpenAI, Ollama or vLLM: this is the one fake in the writer tests, at the
 * network edge.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
  };
}

export type Reply =
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer: the client's timeout must end it. */
  | "hang"
  | ((request: RecordedRequest) => Reply);

export interface FakeOpenAi {
  /** The base URL to give the SDK, ending in /v1. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Replies for the next requests, in order; after them the default reply. */
  enqueue(...replies: Reply[]): void;
  setDefault(reply: Reply): void;
  /** Forget recorded requests, unused replies and the default. */
  reset(): void;
  close(): Promise<void>;
}

/** A chat completion whose message content is `content` (a string, or an object sent as JSON text). */
export function completion(
  content: string | object | null,
  options: { refusal?: string; model?: string; finishReason?: string } = {},
): Reply {
  return {
    status: 200,
    body: {
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 1_700_000_000,
      model: options.model ?? "fake-model-2025",
      choices: [
        {
          index: 0,
          finish_reason: options.finishReason ?? "stop",
          logprobs: null,
          message: {
            role: "assistant",
            content: content === null || typeof content === "string" ? content : JSON.stringify(content),
            refusal: options.refusal ?? null,
          },
        },
      ],
      usage: { prompt_tokens: 412, completion_tokens: 96, total_tokens: 508 },
    },
  };
}

export function apiError(status: number, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { message, type: "invalid_request_error", param: null, code: null } }, headers };
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const unscripted = apiError(500, "no reply scripted for this request");
  let fallback: Reply = unscripted;
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as RecordedRequest["body"],
      };
      requests.push(recorded);
      let reply = req.url === "/v1/chat/completions" ? (queue.shift() ?? fallback) : apiError(404, `no route ${req.url}`);
      while (typeof reply === "function") reply = reply(recorded);
      if (reply === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setDefault: (reply) => {
      fallback = reply;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      fallback = unscripted;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
