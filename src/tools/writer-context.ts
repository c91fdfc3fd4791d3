/**
 * The writer's view of the MCP request: the client's own model (sampling)
 * when the client declared it, who the client is (so one client's sampled
 * draft is never served to another), cancellation, and progress notifications.
 */
import type { WriterCallContext } from "../writer/types.js";
import type { RequestExtra, ToolCall } from "./define.js";
import { sessionIdOf } from "./guard-session.js";

type Report = (message: string) => void;

/**
 * One monotonic progress counter per request, shared by everyone reporting on
 * it (this context, the writer's providers, the final report in server.ts):
 * MCP requires progress to increase within one progress token.
 */
const reporters = new WeakMap<RequestExtra, Report>();

function reporterFor(extra: RequestExtra): Report | undefined {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let report = reporters.get(extra);
  if (!report) {
    let progress = 0;
    report = (message) => {
      progress += 1;
      void extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, message } }).catch(() => {});
    };
    reporters.set(extra, report);
  }
  return report;
}

/** The last progress report of a request that reported any, so clients can close their indicator. */
export function finishProgress(extra: RequestExtra, message: string): void {
  reporters.get(extra)?.(message);
}

export function writerContextFor({ server, extra }: ToolCall): WriterCallContext {
  const lowLevel = server.server;
  // The MCP session id, or one id per server instance (one client connection) on stdio and in memory.
  const context: WriterCallContext = { signal: extra.signal, clientKey: sessionIdOf(server, extra.sessionId) };
  if (lowLevel.getClientCapabilities()?.sampling) {
    context.sampling = async ({ systemPrompt, userPrompt, maxTokens }) => {
      const result = await lowLevel.createMessage(
        { systemPrompt, maxTokens, messages: [{ role: "user", content: { type: "text", text: userPrompt } }] },
        { signal: extra.signal, relatedRequestId: extra.requestId },
      );
      // The client names the model it used: provenance records it.
      return { text: result.content.type === "text" ? result.content.text : "", model: result.model };
    };
  }
  const report = reporterFor(extra);
  if (report) {
    // Generation can take seconds (a model, the client's sampling): report the start before it happens.
    report("reading the customer, playbook and brand context");
    context.progress = report;
  }
  return context;
}
