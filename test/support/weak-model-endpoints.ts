/**
 * The weak model (weak-model.ts) behind the two doors a model comes through:
 * a loopback chat-completions server for the openai provider, and a real MCP
 * client's sampling handler for the sampling provider. Each answer's planted
 * faults are reported to `onAnswer`, so the caller knows what to look for.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema, type CreateMessageResult } from "@modelcontextprotocol/sdk/types.js";
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
