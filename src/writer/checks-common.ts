/**
 * What every quality check shares: the check names, the draft they read, and
 * the one way a check states its verdict. Kept apart from quality.ts so the
 * check families (content, compliance, brand limits) can each live in their
 * own file without importing the runner that lists them.
 */
import type { QualityCheck } from "../api/schemas.js";

export const CHECK = {
  length: "length",
  avoidTerms: "avoid_terms",
  requiredMentions: "required_mentions",
  placeholders: "placeholders",
  pii: "pii",
  offers: "offers",
  groundedReasoning: "grounded_reasoning",
  /** Email only: the tenant's opt-out (merge token or link) is in the body. */
  unsubscribe: "unsubscribe",
  /** Email only: the sender's postal address from the tenant settings is in the body. */
  postalAddress: "postal_address",
  /** Email only, warn: the subject promises nothing the body does not carry. */
  subjectMatchesBody: "subject_matches_body",
  /** When the tenant set a disclosure line: model-written text carries it. */
  aiDisclosure: "ai_disclosure",
  emoji: "emoji",
  links: "links",
  markup: "markup",
  /** Characters a screen draws as nothing or that reorder text: hidden words the approver cannot see. */
  hiddenCharacters: "hidden_characters",
  /** Added only by the optional LLM judge, always as `warn`. */
  judge: "llm_judge",
} as const;
export type CheckName = (typeof CHECK)[keyof typeof CHECK];

export interface DraftText {
  subject?: string | null;
  message_body: string;
  reasoning: string;
  offer_ids: string[];
  /** A model wrote it (provenance.generated): the tenant's disclosure line is then required. */
  generated?: boolean;
}

export function check(name: CheckName, severity: QualityCheck["severity"], problems: string[], ok: string): QualityCheck {
  return { name, passed: problems.length === 0, severity, detail: problems.length ? problems.join("; ") : ok };
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whole words or phrases, case-insensitive, any whitespace between the words of a phrase. */
export function mentionsTerm(text: string, term: string): boolean {
  const words = term.trim().split(/\s+/).filter(Boolean).map(escapeRegExp);
  if (words.length === 0) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}])${words.join("\\s+")}(?![\\p{L}\\p{N}])`, "iu").test(text);
}

/** Whitespace-insensitive containment: a postal address may wrap differently in a footer. */
export function containsLoosely(text: string, needle: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();
  const wanted = squash(needle);
  return wanted.length > 0 && squash(text).includes(wanted);
}
