/**
 * The `template` provider: deterministic and offline. Messages come from
 * `prompts/templates/<lifecycle_area>.<channel>.md` (variants separated by a
 * line `---`; an email variant starts with `Subject: ...`) and the reasoning
 * from `prompts/templates/reasoning.md`. The same input always gives the same
 * text; a hash of `variation_key` picks the variant, so interventions differ.
 *
 * Every candidate is checked before it is returned: the first that passes all
 * checks wins, so brand words to avoid or a long offer never make it flag.
 */
import type { Offer } from "../domain/catalog.js";
import { withFooter } from "./footer.js";
import { failingErrors, runQualityChecks } from "./quality.js";
import { loadPrompt, PromptTemplateError, render, sha256Hex, type PromptFile } from "./prompts.js";
import type { Writer, WriterInput, WriterOutput } from "./types.js";

export const TEMPLATE_MODEL = "retivo-templates-v1";

const AREA_LABELS: Record<string, string> = {
  onboarding: "onboarding",
  churn_prevention: "churn prevention",
  retention: "retention",
  upsell: "upsell",
  win_back: "win-back",
};
const OFFER_LEADS = ["An offer for you: ", "If it helps: ", "Available to you now: "];
const MENTION_LEADS = ["Worth knowing: ", "In case you missed it: "];

export interface Variant {
  subject: string | null;
  body: string;
}

/**
 * People type their own first name, so it may hold anything: a sentence, a
 * link, an instruction to whoever reads it. A template prints it only when it
 * reads like a name (letters, at most three words, ' - . between them);
 * otherwise it greets without one. The checks would flag what got through,
 * but a greeting is no place for someone else's text.
 */
const NAME_LIKE = /^[\p{L}\p{M}](?:[\p{L}\p{M}]|['’.-](?=[\p{L}\p{M}])|\.$| (?=[\p{L}\p{M}])){0,39}$/u;
export function nameLike(firstName: string): string | null {
  const name = firstName.trim();
  return NAME_LIKE.test(name) && name.split(" ").length <= 3 ? name : null;
}

/** 32 bits of SHA-256: stable across runs and platforms, unlike Math.random or object order. */
export function variationHash(key: string): number {
  return Number.parseInt(sha256Hex(key).slice(0, 8), 16);
}

export function splitVariants(file: PromptFile, channel: string): Variant[] {
  return file.text.split(/^---[ \t]*$/m).map((raw) => {
    const text = raw.trim();
    if (channel !== "email") return { subject: null, body: text };
    const match = /^Subject:[ \t]*(.+)\n([\s\S]*)$/.exec(text);
    if (!match) throw new PromptTemplateError(`${file.id}: every email variant must start with "Subject: ..."`);
    return { subject: match[1]!.trim(), body: match[2]!.trim() };
  });
}

/** Blank lines and doubled spaces left where an optional line rendered empty. */
function tidy(text: string): string {
  return text
    .replace(/[ \t]+$/gm, "")
    .replace(/ {2,}/g, " ")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function sentence(lead: string, text: string): string {
  const t = text.trim();
  return `${lead}${t}${/[.!?]$/.test(t) ? "" : "."}`;
}

/** Win-back playbooks run as a 7/30/60-day series; the variants are written in that order. */
function variantIndex(input: WriterInput, count: number, hash: number): number {
  const days = input.customer.days_since_churn;
  if (input.playbook.lifecycle_area === "win_back" && days !== null && count >= 3) {
    return days <= 14 ? 0 : days <= 45 ? 1 : 2;
  }
  return hash % count;
}

function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Heuristic: how strongly the scores point at this area's message helping. Deterministic, 0.3..0.9. */
export function templateConfidence(input: WriterInput): number {
  const c = input.customer;
  const signal: Record<string, number> = {
    onboarding: 1 - c.activation_score,
    churn_prevention: 1 - c.engagement_score,
    retention: c.engagement_score,
    upsell: c.expansion_score,
    win_back: 0.5,
  };
  const risky = c.risk_level === "high" || c.risk_level === "critical" ? 0.15 : 0;
  const value = 0.55 + 0.3 * (signal[input.playbook.lifecycle_area] ?? 0.5) - risky;
  return Math.min(0.9, Math.max(0.3, Math.round(value * 100) / 100));
}

/** The variables every message template may use. */
export function messageVars(firstName: string, offerLine: string, mentionLine: string): Record<string, string> {
  return { first_name: firstName, offer_line: offerLine, mention_line: mentionLine };
}

/** The variables of templates/reasoning.md: only facts from the input, so the reasoning stays grounded. */
export function reasoningVars(input: WriterInput, offer: Offer | null): Record<string, string> {
  const c = input.customer;
  return {
    playbook_name: input.playbook.name,
    lifecycle_area: AREA_LABELS[input.playbook.lifecycle_area] ?? input.playbook.lifecycle_area,
    first_name: nameLike(c.first_name) ?? "this customer",
    lifecycle_stage: c.lifecycle_stage.replace(/_/g, " "),
    risk_level: c.risk_level,
    activation_score: fmt(c.activation_score),
    engagement_score: fmt(c.engagement_score),
    expansion_score: fmt(c.expansion_score),
    health: fmt(c.health),
    activity: c.days_since_last_activity === null ? "no recorded activity" : `last active ${c.days_since_last_activity} days ago`,
    offer_note: offer ? `The message mentions the allowed offer ${offer.id}.` : "The message mentions no offer.",
  };
}

export function splitReasoningVariants(file: PromptFile): string[] {
  return file.text.split(/^---[ \t]*$/m).map((v) => v.trim());
}

function reasoningFor(input: WriterInput, offer: Offer | null, hash: number): { text: string; file: PromptFile } {
  const file = loadPrompt("templates/reasoning");
  const variants = splitReasoningVariants(file);
  return { text: tidy(render(variants[hash % variants.length]!, reasoningVars(input, offer), file.id)), file };
}

export function writeFromTemplate(input: WriterInput): WriterOutput {
  const hash = variationHash(input.variation_key);
  const area = input.playbook.lifecycle_area;
  const file = loadPrompt(`templates/${area}.${input.channel}`);
  const variants = splitVariants(file, input.channel);
  const first = variantIndex(input, variants.length, hash);
  const offer = input.offers.length ? input.offers[(hash >>> 8) % input.offers.length]! : null;
  const mention = input.brand.things_to_mention.length
    ? input.brand.things_to_mention[(hash >>> 12) % input.brand.things_to_mention.length]!
    : null;
  const name = nameLike(input.customer.first_name) ?? "there";
  const offerLine = offer ? sentence(OFFER_LEADS[(hash >>> 16) % OFFER_LEADS.length]!, offer.text) : "";
  const mentionLine = mention ? sentence(MENTION_LEADS[(hash >>> 20) % MENTION_LEADS.length]!, mention) : "";

  // Richest first; drop optional lines, then try the other variants, until one passes every check.
  const options: { index: number; offer: boolean; mention: boolean }[] = [];
  for (let step = 0; step < variants.length; step++) {
    const index = (first + step) % variants.length;
    for (const [withOffer, withMention] of [[true, true], [true, false], [false, true], [false, false]] as const) {
      options.push({ index, offer: withOffer && offer !== null, mention: withMention && mention !== null });
    }
  }
  let best: { output: WriterOutput; errors: number; warnings: number } | undefined;
  for (const option of options) {
    const variant = variants[option.index]!;
    const vars = messageVars(name, option.offer ? offerLine : "", option.mention ? mentionLine : "");
    const chosenOffer = option.offer ? offer : null;
    const reasoning = reasoningFor(input, chosenOffer, hash);
    const output: WriterOutput = {
      subject: variant.subject === null ? null : tidy(render(variant.subject, vars, file.id)),
      message_body: withFooter(tidy(render(variant.body, vars, file.id)), input.channel, input.policy, false),
      reasoning: reasoning.text,
      confidence: templateConfidence(input),
      offer_ids: chosenOffer ? [chosenOffer.id] : [],
      provenance: {
        provider: "template",
        generated: false,
        model: TEMPLATE_MODEL,
        prompt_id: `${file.id}#${option.index}`,
        prompt_hash: sha256Hex(`${file.hash}:${reasoning.file.hash}`),
      },
    };
    const checks = runQualityChecks(output, input);
    const errors = failingErrors(checks).length;
    const warnings = checks.checks.filter((c) => !c.passed).length - errors;
    if (errors === 0 && warnings === 0) return output;
    if (!best || errors < best.errors || (errors === best.errors && warnings < best.warnings)) best = { output, errors, warnings };
  }
  // Nothing passed everything: return the least bad; writeChecked will flag it honestly.
  return best!.output;
}

export function createTemplateWriter(): Writer {
  return { write: async (input) => writeFromTemplate(input) };
}
