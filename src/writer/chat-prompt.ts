/**
 * The prompt a model sees: system rules with the brand context, then the
 * channel's request with the facts. Only WriterInput fields go in, which is the
 * grounding and the privacy boundary at once: no email, no company, no ids but
 * the offers'.
 */
import { CHANNEL_LIMITS, SUBJECT_MAX } from "./quality.js";
import { loadPrompt, render, sha256Hex } from "./prompts.js";
import type { WriterInput, WriterOutput } from "./types.js";

export interface ChatPrompt {
  /** "chat/email": the channel prompt with system.md and facts.md. */
  id: string;
  /** SHA-256 over the three template texts, so editing any of them changes it. */
  hash: string;
  system: string;
  user: string;
}

const listOr = (items: readonly string[], none: string) => (items.length ? items.map((t) => `'${t}'`).join("; ") : none);
const numberOr = (value: number | null) => (value === null ? "unknown" : String(value));

export function factsVars(input: WriterInput): Record<string, string> {
  const c = input.customer;
  return {
    first_name: c.first_name,
    locale: c.locale,
    lifecycle_stage: c.lifecycle_stage,
    activation_score: String(c.activation_score),
    engagement_score: String(c.engagement_score),
    expansion_score: String(c.expansion_score),
    health: String(c.health),
    risk_level: c.risk_level,
    days_since_last_activity: numberOr(c.days_since_last_activity),
    days_since_churn: numberOr(c.days_since_churn),
    playbook_name: input.playbook.name,
    lifecycle_area: input.playbook.lifecycle_area,
    tone: input.playbook.tone ?? "not specified; follow the brand tone",
    offers: input.offers.length ? input.offers.map((o) => `- ${o.id}: ${o.text}`).join("\n") : "(none: mention no offer)",
  };
}

export function brandVars(input: WriterInput): Record<string, string> {
  const b = input.brand;
  return {
    product_description: b.product_description || "(not given)",
    tone_guidelines: b.tone_guidelines || "clear, warm and brief",
    things_to_mention: listOr(b.things_to_mention, "(none)"),
    things_to_avoid: listOr(b.things_to_avoid, "(none)"),
  };
}

/** The channel prompt's variables: its limits and the rendered facts. */
export function channelVars(input: WriterInput, facts: string): Record<string, string> {
  return { max_chars: String(CHANNEL_LIMITS[input.channel]), max_subject_chars: String(SUBJECT_MAX), facts };
}

export function chatPromptFor(input: WriterInput): ChatPrompt {
  const system = loadPrompt("system");
  const facts = loadPrompt("facts");
  const channel = loadPrompt(input.channel);
  return {
    id: `chat/${input.channel}`,
    hash: sha256Hex([system.hash, channel.hash, facts.hash].join(":")),
    system: render(system.text, brandVars(input), system.id),
    user: render(channel.text, channelVars(input, render(facts.text, factsVars(input), facts.id)), channel.id),
  };
}

export function repairVars(problems: readonly string[]): Record<string, string> {
  return { problems: problems.map((p) => `- ${p}`).join("\n") };
}

export function repairRequest(problems: readonly string[]): string {
  const file = loadPrompt("repair");
  return render(file.text, repairVars(problems), file.id);
}

export function judgeVars(output: WriterOutput, input: WriterInput): Record<string, string> {
  return {
    lifecycle_stage: input.customer.lifecycle_stage,
    playbook_name: input.playbook.name,
    lifecycle_area: input.playbook.lifecycle_area,
    tone_guidelines: brandVars(input).tone_guidelines!,
    subject: output.subject ?? "(none)",
    message_body: output.message_body,
  };
}

export function judgeRequest(output: WriterOutput, input: WriterInput): { system: string; user: string } {
  const file = loadPrompt("judge");
  return { system: "You are a careful reviewer. Answer with JSON only.", user: render(file.text, judgeVars(output, input), file.id) };
}
