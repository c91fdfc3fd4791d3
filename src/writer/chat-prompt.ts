/**
 * The prompt a model sees: system rules with the brand context, then the
 * channel's request with the facts. Only WriterInput fields go in, which is the
 * grounding and the privacy boundary at once: no email, no company, no ids but
 * the offers'. Every value the tenant or the person wrote goes in a data block
 * (data-block.ts), never into the text of the instructions.
 */
import { allowedLinkHosts } from "./checks-brand.js";
import { dataBlock } from "./data-block.js";
import { footerLength } from "./footer.js";
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

/** The person as the model may see them: scores and stage, and the first name exactly as they typed it. */
export function personData(input: WriterInput) {
  const c = input.customer;
  return {
    first_name: c.first_name,
    locale: c.locale,
    lifecycle_stage: c.lifecycle_stage,
    activation_score: c.activation_score,
    engagement_score: c.engagement_score,
    expansion_score: c.expansion_score,
    health: c.health,
    risk_level: c.risk_level,
    days_since_last_activity: c.days_since_last_activity,
    days_since_churn: c.days_since_churn,
  };
}

export function playbookData(input: WriterInput) {
  return {
    name: input.playbook.name,
    lifecycle_area: input.playbook.lifecycle_area,
    tone: input.playbook.tone ?? "not specified; follow the brand tone",
    offers: input.offers.map((o) => ({ id: o.id, text: o.text })),
  };
}

/** The brand context and the limits the model must keep; the footer settings stay out (code adds the footer). */
export function brandData(input: WriterInput) {
  const b = input.brand;
  return {
    product_description: b.product_description || "(not given)",
    tone_guidelines: b.tone_guidelines || "clear, warm and brief",
    things_to_mention: b.things_to_mention,
    things_to_avoid: b.things_to_avoid,
    link_hosts: allowedLinkHosts(input.policy),
    max_emoji: input.policy?.max_emoji ?? null,
  };
}

export function factsVars(input: WriterInput): Record<string, string> {
  return { person_block: dataBlock("person", personData(input)).text, playbook_block: dataBlock("playbook", playbookData(input)).text };
}

export function brandVars(input: WriterInput): Record<string, string> {
  return { brand_block: dataBlock("brand", brandData(input)).text };
}

/** The channel prompt's variables: the room the model's own text has (the footer takes the rest) and the rendered facts. */
export function channelVars(input: WriterInput, facts: string): Record<string, string> {
  const room = CHANNEL_LIMITS[input.channel] - footerLength(input.channel, input.policy, true);
  return { max_chars: String(room), max_subject_chars: String(SUBJECT_MAX), facts };
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

/** Problems quote the rejected answer, which may echo what a customer typed: they travel as data too. */
export function repairVars(problems: readonly string[]): Record<string, string> {
  return { problems_block: dataBlock("problems", problems).text };
}

export function repairRequest(problems: readonly string[]): string {
  const file = loadPrompt("repair");
  return render(file.text, repairVars(problems), file.id);
}

export function judgeVars(output: WriterOutput, input: WriterInput): Record<string, string> {
  const message = {
    lifecycle_stage: input.customer.lifecycle_stage,
    playbook: input.playbook.name,
    lifecycle_area: input.playbook.lifecycle_area,
    tone_guidelines: brandData(input).tone_guidelines,
    subject: output.subject,
    message_body: output.message_body,
  };
  return { message_block: dataBlock("message", message).text };
}

export function judgeRequest(output: WriterOutput, input: WriterInput): { system: string; user: string } {
  const file = loadPrompt("judge");
  return { system: "You are a careful reviewer. Answer with JSON only.", user: render(file.text, judgeVars(output, input), file.id) };
}
