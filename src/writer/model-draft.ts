/**
 * What every model provider shares: the answer schema, parsing a reply into a
 * draft, and the single repair attempt that feeds validation and quality
 * failures back to the model. A provider only supplies `ask`.
 */
import { z } from "zod";
import type { QualityChecks } from "../api/schemas.js";
import { chatPromptFor, repairRequest } from "./chat-prompt.js";
import { settingsGaps } from "./checks-compliance.js";
import { withFooter } from "./footer.js";
import { failingErrors, runQualityChecks } from "./quality.js";
import type { WriterInput, WriterOutput } from "./types.js";

/** Sent as the JSON schema: strict mode wants every key present, so `subject` is nullable, not optional. */
export const ModelAnswerSchema = z.object({
  subject: z.string().nullable().describe("email subject line; null for other channels"),
  message_body: z.string().min(1),
  reasoning: z.string().min(1),
  confidence: z.number().min(0).max(1),
  offer_ids: z.array(z.string()),
});

/** What we accept back: JSON-mode and sampling models may leave `subject` or `offer_ids` out. */
const LenientAnswerSchema = ModelAnswerSchema.extend({
  subject: z.string().nullish(),
  offer_ids: z.array(z.string()).default([]),
});

export type ModelAnswer = z.infer<typeof ModelAnswerSchema>;

/** A failure of the model or its transport: the writer falls back to the template. Bugs are not these. */
export class ProviderFailure extends Error {
  override name = "ProviderFailure";
}

export interface Conversation {
  system: string;
  turns: { role: "user" | "assistant"; content: string }[];
}

export interface ModelReply {
  content: string | null;
  refusal?: string | null;
  model: string;
}

export type AskModel = (conversation: Conversation, attempt: number) => Promise<ModelReply>;

type Parsed = { ok: true; answer: ModelAnswer } | { ok: false; problems: string[] };

/** Models wrap JSON in prose or code fences; take the outermost object. */
function extractJson(content: string): string {
  const start = content.indexOf("{");
  const end = content.lastIndexOf("}");
  return start >= 0 && end > start ? content.slice(start, end + 1) : content;
}

export function parseAnswer(content: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(extractJson(content));
  } catch (error) {
    return { ok: false, problems: [`the answer is not valid JSON (${(error as Error).message})`] };
  }
  const result = LenientAnswerSchema.safeParse(json);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((i) => `${i.path.join(".") || "answer"}: ${i.message}`) };
  }
  return { ok: true, answer: { ...result.data, subject: result.data.subject ?? null } };
}

/**
 * A model's answer as the writer judges it: parsed, finished with the footer
 * it will be sent with, and run through the quality checks. The eval reads
 * each raw answer through this too, so its figures are the writer's own.
 */
export function checkAnswer(content: string, input: WriterInput): { ok: false; problems: string[] } | { ok: true; answer: ModelAnswer; checks: QualityChecks } {
  const parsed = parseAnswer(content);
  if (!parsed.ok) return parsed;
  const answer = finished(input.channel === "email" ? parsed.answer : { ...parsed.answer, subject: null }, input);
  return { ok: true, answer, checks: runQualityChecks({ ...answer, generated: true }, input) };
}

function judgeReply(reply: ModelReply, input: WriterInput): Parsed {
  if (reply.refusal) throw new ProviderFailure(`the model refused: ${reply.refusal.slice(0, 200)}`);
  if (!reply.content?.trim()) return { ok: false, problems: ["the answer was empty"] };
  const checked = checkAnswer(reply.content, input);
  if (!checked.ok) return checked;
  // A setting the tenant lacks (postal address, opt-out) is no wording problem: the stored check flags it for the operator.
  const gaps = new Set<string>(settingsGaps(input.channel, input.policy));
  const failures = failingErrors(checked.checks).filter((c) => !gaps.has(c.name));
  return failures.length ? { ok: false, problems: failures.map((c) => `${c.name}: ${c.detail}`) } : { ok: true, answer: checked.answer };
}

/** The model's text as it will be sent: with the disclosure line and the email footer the writer adds. */
function finished(answer: ModelAnswer, input: WriterInput): ModelAnswer {
  return { ...answer, message_body: withFooter(answer.message_body, input.channel, input.policy, true) };
}

/**
 * One attempt, and at most one repair. Returns a draft that passes every error
 * check, or throws ProviderFailure naming what was wrong.
 */
export async function draftWithRepair(ask: AskModel, input: WriterInput, provider: string): Promise<WriterOutput> {
  const prompt = chatPromptFor(input);
  const conversation: Conversation = { system: prompt.system, turns: [{ role: "user", content: prompt.user }] };
  let reply = await ask(conversation, 1);
  let verdict = judgeReply(reply, input);
  let repairReason: string | undefined;
  if (!verdict.ok) {
    repairReason = verdict.problems.join("; ").slice(0, 300);
    conversation.turns.push(
      { role: "assistant", content: reply.content ?? "" },
      { role: "user", content: repairRequest(verdict.problems) },
    );
    reply = await ask(conversation, 2);
    const second = judgeReply(reply, input);
    if (!second.ok) {
      throw new ProviderFailure(`the answer still failed after one repair: ${second.problems.join("; ").slice(0, 300)}`);
    }
    verdict = second;
  }
  const { answer } = verdict;
  return {
    subject: answer.subject ?? null,
    message_body: answer.message_body,
    reasoning: answer.reasoning,
    confidence: answer.confidence,
    offer_ids: answer.offer_ids,
    provenance: { provider, generated: true, model: reply.model, prompt_id: prompt.id, prompt_hash: prompt.hash, ...(repairReason ? { repair_reason: repairReason } : {}) },
  };
}
