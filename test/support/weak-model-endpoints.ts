/**
 * The weak model (weak-model.ts) behind the two doors a model comes through:
 * a loopback chat-completions server for the openai provider, and a real MCP
 * client's sampling handler for the sampling provider. Each answer's planted
 * faults are reported to `onAnswer`, so the caller knows what to look for.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CreateMessageRequestSchema, type CreateMessageResult } from "@modelcontextprotocol/sdk/types.js";
import type { SamplingFn } from "../../src/writer/types.js";
import { completion, type RecordedRequest, type Reply } from "../writer/fake-openai.js";
import { weakModelAnswer, type WeakAnswer, type WeakModelOptions } from "./weak-model.js";


export type AnswerLog = (answer: WeakAnswer, prompt: { system: string; user: string }) => void;
/** Fixed options, or a function read at each request (the eval changes them per case). */
export type Options = WeakModelOptions | (() => WeakModelOptions);

const current = (options: Options) => (typeof options === "function" ? options() : options);

/** A fake-openai reply that answers every chat request as the weak model. */
export function weakChatReply(options: Options = {}, onAnswer: AnswerLog = () => {}): Reply {
  return (request: RecordedRequest) => {
    const system = request.body.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n");
    const user = request.body.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n\n");
    const answer = weakModelAnswer(system, user, current(options));
    onAnswer(answer, { system, user });
    return completion(answer.json, { model: "weak-model-1" });
  };
}

/** Makes a real MCP client answer sampling/createMessage as the weak model. */
export function answerSamplingWeakly(client: Client, options: Options = {}, onAnswer: AnswerLog = () => {}): void {
  client.setRequestHandler(CreateMessageRequestSchema, async (request): Promise<CreateMessageResult> => {
    const system = request.params.systemPrompt ?? "";
    const user = request.params.messages.map((m) => (m.content as { text?: string }).text ?? "").join("\n\n");
    const answer = weakModelAnswer(system, user, current(options));
    onAnswer(answer, { system, user });
    return { role: "assistant", model: "weak-client-model-1", stopReason: "endTurn", content: { type: "text", text: answer.json } };
  });
}

/**
 * A real MCP server/client pair over memory whose client answers sampling as
 * the weak model; returns the SamplingFn a tool handler would build from its
 * server, as src/tools/writer-context.ts does.
 */
export async function weakSamplingPair(options: Options = {}, onAnswer: AnswerLog = () => {}): Promise<{ sampling: SamplingFn; close(): Promise<void> }> {
  const server = new Server({ name: "retivo-weak-sampling", version: "1.0.0" }, { capabilities: {} });
  const client = new Client({ name: "weak-client", version: "1.0.0" }, { capabilities: { sampling: {} } });
  answerSamplingWeakly(client, options, onAnswer);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(a), client.connect(b)]);
  const sampling: SamplingFn = async ({ systemPrompt, userPrompt, maxTokens }) => {
    const result = await server.createMessage({ systemPrompt, maxTokens, messages: [{ role: "user", content: { type: "text", text: userPrompt } }] });
    return { text: result.content.type === "text" ? result.content.text : "", model: result.model };
  };
  return { sampling, close: () => client.close() };
}
