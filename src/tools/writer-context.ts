/**
 * The writer's view of the MCP request: the client's own model (sampling)
 * when the client declared it, cancellation, and progress notifications.
 */
import type { WriterCallContext } from "../writer/types.js";
import type { ToolCall } from "./define.js";

export function writerContextFor({ server, extra }: ToolCall): WriterCallContext {
  const lowLevel = server.server;
  const context: WriterCallContext = { signal: extra.signal };
  if (lowLevel.getClientCapabilities()?.sampling) {
    context.sampling = async ({ systemPrompt, userPrompt, maxTokens }) => {
      const result = await lowLevel.createMessage(
        { systemPrompt, maxTokens, messages: [{ role: "user", content: { type: "text", text: userPrompt } }] },
        { signal: extra.signal },
      );
      return result.content.type === "text" ? result.content.text : "";
    };
  }
  const progressToken = extra._meta?.progressToken;
  if (progressToken !== undefined) {
    let progress = 0;
    context.progress = (message) => {
      progress += 1;
      void extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, message } }).catch(() => {});
    };
  }
  return context;
}
