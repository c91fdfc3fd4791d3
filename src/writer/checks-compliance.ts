/**
 * The email rules a retention team is judged on (CAN-SPAM): every email
 * carries the tenant's opt-out and the sender's postal address, and its
 * subject promises nothing the body does not hold; plus the tenant's optional
 * disclosure line on model-written text. In-app and webhook messages get none
 * of the email rules. The writer puts the footer in the body (footer.ts); these
 * checks verify the body, whoever wrote it.
 */
import type { QualityCheck } from "../api/schemas.js";
import type { MessagePolicy } from "../domain/catalog.js";
import { CHECK, check, containsLoosely, type CheckName, type DraftText } from "./checks-common.js";
import { findCommercialTokens, findNumbers, findOfferWords } from "./text-scan.js";

const UNKNOWN_POLICY = "not verified: the tenant settings are not known here (a preview drafted in API mode)";
const SETTINGS_HINT = "set it in the tenant settings";

function unknown(name: CheckName): QualityCheck {
  return { name, passed: false, severity: "warn", detail: UNKNOWN_POLICY };
}

function unsubscribeCheck(body: string, policy: MessagePolicy | null): QualityCheck {
  if (!policy) return unknown(CHECK.unsubscribe);
  const optOut = policy.unsubscribe;
  const problems = !optOut
    ? [`the tenant settings have no unsubscribe token or link, so this email offers no way to opt out; ${SETTINGS_HINT}`]
    : body.includes(optOut)
      ? []
      : [`the email offers no way to opt out: it must carry the tenant's unsubscribe ${optOut}`];
  return check(CHECK.unsubscribe, "error", problems, `carries the tenant's opt-out (${optOut})`);
}

function postalAddressCheck(body: string, policy: MessagePolicy | null): QualityCheck {
  if (!policy) return unknown(CHECK.postalAddress);
  const address = policy.postal_address;
  const problems = !address
    ? [`the tenant settings have no postal address, which every email must show; ${SETTINGS_HINT}`]
    : containsLoosely(body, address)
      ? []
      : ["the email does not show the sender's postal address from the tenant settings"];
  return check(CHECK.postalAddress, "error", problems, "shows the sender's postal address");
}

/**
 * Warn only: a subject that promises an offer, a price or a number the body
 * does not hold misleads the reader, but wording is a human's call.
 */
function subjectCheck(draft: DraftText): QualityCheck {
  const subject = draft.subject ?? "";
  const body = draft.message_body;
  const problems: string[] = [];
  const bodyTokens = new Set(findCommercialTokens(body));
  const subjectTokens = findCommercialTokens(subject);
  for (const token of subjectTokens) {
    if (!bodyTokens.has(token)) problems.push(`the subject promises '${token.split(":").slice(1).join(" ")}', which the body does not carry`);
  }
  // A number already named as part of a promise above is not named twice.
  const promised = new Set(subjectTokens.flatMap((t) => t.split(":").slice(1).map(Number)));
  const bodyWords = new Set(findOfferWords(body));
  for (const word of findOfferWords(subject)) {
    if (!bodyWords.has(word)) problems.push(`the subject mentions '${word}', which the body does not`);
  }
  const bodyNumbers = new Set(findNumbers(body).map((n) => n.value));
  for (const n of findNumbers(subject)) {
    if (!bodyNumbers.has(n.value) && !promised.has(n.value)) problems.push(`the subject cites ${n.text}, which the body does not`);
  }
  return check(CHECK.subjectMatchesBody, "warn", [...new Set(problems)], "the body bears out the subject");
}

function disclosureCheck(draft: DraftText, disclosure: string): QualityCheck {
  if (!draft.generated) return check(CHECK.aiDisclosure, "error", [], "written from templates, not by a model: no disclosure needed");
  const problems = containsLoosely(draft.message_body, disclosure) ? [] : ["model-written text lacks the tenant's AI disclosure line"];
  return check(CHECK.aiDisclosure, "error", problems, "carries the tenant's AI disclosure line");
}

export function complianceChecks(draft: DraftText, channel: string, policy: MessagePolicy | null): QualityCheck[] {
  const checks: QualityCheck[] = [];
  if (channel === "email") {
    checks.push(unsubscribeCheck(draft.message_body, policy), postalAddressCheck(draft.message_body, policy), subjectCheck(draft));
  }
  if (policy?.ai_disclosure) checks.push(disclosureCheck(draft, policy.ai_disclosure));
  return checks;
}

/**
 * Checks no wording can pass because a tenant setting is missing. A model is
 * not asked to repair these: only the operator can, by setting them.
 */
export function settingsGaps(channel: string, policy: MessagePolicy | null): CheckName[] {
  if (channel !== "email" || !policy) return [];
  return [...(policy.unsubscribe ? [] : [CHECK.unsubscribe]), ...(policy.postal_address ? [] : [CHECK.postalAddress])];
}
