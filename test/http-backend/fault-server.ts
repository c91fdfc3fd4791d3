/**
 * A scriptable loopback HTTP server standing in for the Retivo API: each
 * request takes the next scripted answer (the last one repeats), and every
 * request is recorded so tests can count what reached the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

export type Answer = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
}

export function raw(status: number, contentType: string, body: string, headers: Record<string, string> = {}): Answer {
  return (_request, response) => {
    response.writeHead(status, { "content-type": contentType, ...headers });
    response.end(body);
  };
}

export function delayed(ms: number, answer: Answer): Answer {
  return (request, response) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (!response.destroyed) void answer(request, response);
        resolve();
      }, ms);
      response.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
}

export interface FaultServer {
  url: string;
  requests: RecordedRequest[];
  script(...answers: Answer[]): void;
  close(): Promise<void>;
}

export async function startFaultServer(): Promise<FaultServer> {
  let answers: Answer[] = [json(500, { error: "not scripted" })];
  let next = 0;
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const recorded: RecordedRequest = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(recorded);
      const answer = answers[Math.min(next++, answers.length - 1)]!;
      void answer(recorded, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(...scripted) {
      answers = scripted;
      next = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A valid intervention object as the list endpoint returns it. */
export function intervention(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "int_aaaaaaaaaaaaaaaaaaaa",
    user_id: "user-1",
    playbook_id: "8f0c2a3e-6b1d-4c2e-9a7f-0d1e2f3a4b5c",
    status: "planned",
    channel: "email",
    message_body: "Hi there",
    reasoning: "Because",
    confidence: 0.85,
    planned_at: "2026-01-01T00:00:00.000Z",
    approved_at: null,
    sent_at: null,
    delivered_at: null,
    flagged: false,
    flag_reason: null,
    quality_checks: null,
    ...overrides,
  };
}
