/**
 * The deterministic quality checks of domain.md. They run on every message from
 * every provider; a failing `error` check flags the intervention. Nothing here
 * calls a model, so the same text and input always give the same verdict.
 */
import type { Channel, QualityCheck, QualityChecks } from "../api/schemas.js";
import type { MessagePolicy } from "../domain/catalog.js";
import { brandLimitChecks } from "./checks-brand.js";
import { CHECK, check, escapeRegExp, mentionsTerm, type DraftText } from "./checks-common.js";
import { complianceChecks } from "./checks-compliance.js";
import { findCommercialTokens, findNumbers, findOfferWords, findPersonalData, findPlaceholders } from "./text-scan.js";
import type { WriterInput } from "./types.js";

export { CHECK, mentionsTerm, type CheckName, type DraftText } from "./checks-common.js";

/** Characters of `message_body` per channel: an in-app card is short, a webhook payload is not. */
export const CHANNEL_LIMITS: Readonly<Record<Channel, number>> = { in_app: 280, email: 2000, webhook: 4000 };
export const SUBJECT_MAX = 120;
export const REASONING_MAX = 2000;

function lengthCheck(draft: DraftText, channel: Channel): QualityCheck {
  const problems: string[] = [];
  const body = draft.message_body.trim();
  const limit = CHANNEL_LIMITS[channel];
  if (!body) problems.push("message_body is empty");
  if (draft.message_body.length > limit) {
    problems.push(`message_body is ${draft.message_body.length} characters; the ${channel} limit is ${limit}`);
  }
  if (channel === "email" && !draft.subject?.trim()) problems.push("an email needs a subject");
  if ((draft.subject?.length ?? 0) > SUBJECT_MAX) problems.push(`subject is longer than ${SUBJECT_MAX} characters`);
  if (!draft.reasoning.trim()) problems.push("reasoning is empty");
  if (draft.reasoning.length > REASONING_MAX) problems.push(`reasoning is longer than ${REASONING_MAX} characters`);
  return check(CHECK.length, "error", problems, `within the ${channel} limit of ${limit} characters`);
}

function avoidTermsCheck(message: string, input: WriterInput): QualityCheck {
  const hits = input.brand.things_to_avoid.filter((term) => mentionsTerm(message, term));
  return check(
    CHECK.avoidTerms,
    "error",
    hits.map((term) => `mentions '${term}' (brand: things_to_avoid)`),
    "no term the brand avoids",
  );
}

/** A short message cannot carry every point, so mentioning one of them is enough; this only warns. */
function requiredMentionsCheck(message: string, input: WriterInput): QualityCheck {
  const wanted = input.brand.things_to_mention;
  const mentioned = wanted.filter((thing) => mentionsTerm(message, thing));
  const problems = wanted.length > 0 && mentioned.length === 0 ? [`mentions none of: ${wanted.map((t) => `'${t}'`).join(", ")}`] : [];
  return check(CHECK.requiredMentions, "warn", problems, mentioned.length ? `mentions '${mentioned[0]}'` : "nothing required");
}

/**
 * The message without the footer text the tenant itself set: its unsubscribe
 * merge token looks like a placeholder on purpose (the email service fills it
 * in), and its postal address may hold digits that read like a phone number.
 */
function withoutTenantText(message: string, policy: MessagePolicy | null): string {
  const own = [policy?.unsubscribe, policy?.postal_address, policy?.ai_disclosure].filter((t): t is string => Boolean(t));
  return own.reduce((text, t) => text.split(t).join(" "), message);
}

function placeholdersCheck(message: string): QualityCheck {
  const found = findPlaceholders(message);
  return check(CHECK.placeholders, "error", found.map((p) => `unresolved placeholder ${p}`), "no unresolved placeholders");
}

function piiCheck(message: string): QualityCheck {
  const found = findPersonalData(message);
  return check(CHECK.pii, "error", found.map((f) => `contains ${f.kind} (${f.shown})`), "no personal data or secrets");
}

function offersCheck(message: string, draft: DraftText, input: WriterInput): QualityCheck {
  const problems: string[] = [];
  const allowedIds = new Set(input.offers.map((o) => o.id));
  for (const id of draft.offer_ids) {
    if (!allowedIds.has(id)) problems.push(`offer_ids names '${id}', which is not an allowed offer`);
  }
  // Exact offer texts are fine wherever they appear; what remains must be covered by some offer's terms.
  let rest = message;
  for (const offer of input.offers) rest = rest.replace(new RegExp(escapeRegExp(offer.text), "gi"), " ");
  const sanctioned = new Set(input.offers.flatMap((o) => findCommercialTokens(o.text)));
  for (const token of findCommercialTokens(rest)) {
    if (!sanctioned.has(token)) problems.push(`'${token.split(":").slice(1).join(" ")}' matches no allowed offer`);
  }
  if (input.offers.length === 0) {
    for (const word of findOfferWords(rest)) problems.push(`mentions '${word}' but the playbook allows no offers`);
  }
  return check(CHECK.offers, "error", problems, input.offers.length ? "only allowed offers" : "no offers, none allowed");
}

/**
 * Every number the inputs carry, including those written inside their strings;
 * not those in what the person typed (their name) or in the footer settings,
 * which are no facts a reasoning may cite.
 */
function groundNumbers(input: WriterInput): number[] {
  const { purpose: _purpose, variation_key: _key, policy: _policy, ...facts } = input;
  const { first_name: _name, ...customer } = facts.customer;
  const numbers: number[] = [0, 1];
  const walk = (value: unknown): void => {
    if (typeof value === "number" && Number.isFinite(value)) numbers.push(value);
    else if (typeof value === "string") numbers.push(...findNumbers(value).map((n) => n.value));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk({ ...facts, customer });
  return numbers;
}

/**
 * "0.42", "0.4", "42%" and "42" all cite an input of 0.42: a number matches when
 * the input, or the input as a percentage, rounds to it at the precision written.
 * A whole number never matches a fraction (so "1" does not cite 0.72).
 */
export function isGrounded(cited: { value: number; decimals: number }, inputs: number[]): boolean {
  const tolerance = 0.5 * 10 ** -cited.decimals + 1e-9;
  return inputs.some((v) =>
    [v, v * 100].some((c) => Math.abs(cited.value - c) <= tolerance && (cited.decimals > 0 || Number.isInteger(c) || Math.abs(c) >= 1)),
  );
}

function groundedReasoningCheck(draft: DraftText, input: WriterInput): QualityCheck {
  const inputs = groundNumbers(input);
  const invented = findNumbers(draft.reasoning).filter((n) => !isGrounded(n, inputs));
  const unique = [...new Set(invented.map((n) => n.text))];
  return check(
    CHECK.groundedReasoning,
    "error",
    unique.map((text) => `reasoning cites ${text}, which is not in the inputs`),
    "every number in the reasoning comes from the inputs",
  );
}

export function runQualityChecks(draft: DraftText, input: WriterInput): QualityChecks {
  // What the end user reads: subject and body. Reasoning is for the operator and is checked for grounding.
  const message = draft.subject ? `${draft.subject}\n${draft.message_body}` : draft.message_body;
  const written = withoutTenantText(message, input.policy);
  const checks = [
    lengthCheck(draft, input.channel),
    placeholdersCheck(written),
    piiCheck(written),
    avoidTermsCheck(written, input),
    offersCheck(written, draft, input),
    groundedReasoningCheck(draft, input),
    requiredMentionsCheck(message, input),
    ...complianceChecks(draft, input.channel, input.policy),
    ...brandLimitChecks(message, input.policy),
  ];
  return { passed: checks.every((c) => c.passed || c.severity !== "error"), checks };
}

export function failingErrors(checks: QualityChecks): QualityCheck[] {
  return checks.checks.filter((c) => !c.passed && c.severity === "error");
}

/** The first failing error check decides the flag; warnings never flag. */
export function flagFromChecks(checks: QualityChecks): { flagged: boolean; flag_reason: string | null } {
  const first = failingErrors(checks)[0];
  return first ? { flagged: true, flag_reason: `${first.name}: ${first.detail}` } : { flagged: false, flag_reason: null };
}
