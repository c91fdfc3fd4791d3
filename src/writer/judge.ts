/**
 * The optional LLM judge (RETIVO_LLM_JUDGE, off by default). A model's opinion
 * of tone and clarity is advice: it can only add `warn` checks, never flag, and
 * a judge that fails adds nothing rather than blocking the write.
 */
import { z } from "zod";
import type { QualityCheck } from "../api/schemas.js";
import type { Logger } from "../log.js";
import { judgeRequest } from "./chat-prompt.js";
import type { Conversation } from "./model-draft.js";
import { CHECK } from "./quality.js";
import type { WriterInput, WriterOutput } from "./types.js";

const JudgeAnswerSchema = z.object({ concerns: z.array(z.string()).max(10) });

export type AskJson = (conversation: Conversation) => Promise<string | null>;

export async function judgeMessage(ask: AskJson, output: WriterOutput, input: WriterInput, logger: Logger): Promise<QualityCheck[]> {
  const { system, user } = judgeRequest(output, input);
  try {
    const content = (await ask({ system, turns: [{ role: "user", content: user }] })) ?? "";
    const start = content.indexOf("{");
    const parsed = JudgeAnswerSchema.safeParse(JSON.parse(content.slice(Math.max(0, start), content.lastIndexOf("}") + 1)));
    if (!parsed.success) return [];
    const concerns = parsed.data.concerns.map((c) => c.trim()).filter(Boolean);
    return [
      {
        name: CHECK.judge,
        passed: concerns.length === 0,
        severity: "warn",
        detail: concerns.length ? concerns.join("; ").slice(0, 500) : "the reviewing model raised no concern",
      },
    ];
  } catch (error) {
    if (error instanceof TypeError || error instanceof ReferenceError) throw error;
    logger.warn({ error: (error as Error).message }, "llm judge unavailable; no judge check added");
    return [];
  }
}
