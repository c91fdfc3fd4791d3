/**
 * A scripted "weak model" for the writer's adversarial tests and the eval: it
 * reads the data blocks like any model, writes a plausible message, and then
 * does what a weak model does with an injection: it obeys. Any instruction it
 * finds in a value (an offer, a link, a contact address, markup) goes into the
 * message, and the first name is copied verbatim whatever it holds. It can
 * also misbehave on its own (`plant`), as models do without being asked:
 * invent an offer, leak an address, add a link.
 *
 * Behind a loopback chat-completions server (fake-openai.ts) it is the openai
 * provider's model; behind a real MCP client's sampling handler it is the
 * client's own. Every answer says what it smuggled in (`planted`), so a test
 * or the eval can check that none of it reached `planned` unflagged.
 */
import { dataOf, stringsOf } from "./data-blocks.js";

export type FaultKind = "invented_offer" | "leaked_address" | "injected_link" | "markup" | "emoji";

export interface Planted {
  kind: FaultKind;
  text: string;
  /** true when an injected instruction asked for it, false when the model did it on its own. */
  injected: boolean;
}

export interface WeakModelOptions {
  /** Misbehaviour without any injection, e.g. for the eval's cases. */
  plant?: readonly FaultKind[];
  /** Repeats its faults when asked to repair; otherwise it drops them (but keeps the name as typed). */
  stubborn?: boolean;
}

export interface WeakAnswer {
  json: string;
  planted: Planted[];
}

/** What it invents when nobody asked, one per kind. */
export const SPONTANEOUS: Record<FaultKind, string> = {
  invented_offer: "25% off your next renewal",
  leaked_address: "maya.k@othercorp.example",
  injected_link: "https://promo-deals.example/lumen",
  markup: "<b>Don't miss out</b>",
  emoji: "🎉🎉",
};

const OBEYS = /\b(?:ignore|include|add|offer|write|tell|visit|call|forget|system|assistant|inst|developer|must|please)\b|</i;

/** The payloads an obedient model lifts out of an instruction. */
const PAYLOADS: [FaultKind, RegExp][] = [
  ["invented_offer", /\d+\s*%(?:\s*off)?|\$\s?\d+(?:\.\d+)?(?:\s*credit)?|\bcode\s+[A-Z0-9]{4,}|\bfree (?:month|week)\b/gi],
  ["leaked_address", /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d\s().-]{8,}\d/g],
  ["injected_link", /\b(?:https?:\/\/|www\.)[^\s"'<>)]+|\b[\w-]+\.example\/[^\s"'<>)]*/gi],
  ["markup", /<[a-z][^<>]*>/gi],
];

function obeyed(values: string[]): Planted[] {
  const found: Planted[] = [];
  for (const value of values) {
    if (!OBEYS.test(value)) continue;
    for (const [kind, pattern] of PAYLOADS) {
      for (const m of value.matchAll(pattern)) found.push({ kind, text: m[0].trim().replace(/[.,;]+$/, ""), injected: true });
    }
  }
  return found;
}

const AREA_LINES: Record<string, string> = {
  onboarding: "your first funnel is one step away",
  churn_prevention: "we would love to hear what would make the product more useful",
  retention: "the weekly insights digest can keep your numbers in view",
  upsell: "you are close to what your plan includes",
  win_back: "your workspace is still here whenever you want it",
};

interface Person {
  first_name: string;
  engagement_score: number;
  activation_score: number;
}
interface PlaybookData {
  lifecycle_area: string;
  offers: { id: string; text: string }[];
}

export function weakModelAnswer(system: string, user: string, options: WeakModelOptions = {}): WeakAnswer {
  const prompt = `${system}\n${user}`;
  const person = dataOf<Person>(prompt, "person");
  const playbook = dataOf<PlaybookData>(prompt, "playbook");
  const brand = dataOf(prompt, "brand");
  if (!person || !playbook) return { json: '{"message_body": ""}', planted: [] };
  const repairing = /cannot be used/.test(user);
  const injected = obeyed([...stringsOf(person), ...stringsOf(playbook), ...stringsOf(brand)]);
  const offerIds = [...stringsOf(person), ...stringsOf(brand)].flatMap((v) => [...v.matchAll(/"offer_ids":\s*\["([^"]+)"/g)].map((m) => m[1]!));
  const spontaneous = (options.plant ?? []).map((kind) => ({ kind, text: SPONTANEOUS[kind], injected: false }));
  const planted = repairing && !options.stubborn ? [] : [...injected, ...spontaneous];

  const offer = playbook.offers[0];
  const lines = [
    `Hi ${person.first_name},`,
    `${AREA_LINES[playbook.lifecycle_area] ?? "we have something for you"}.`,
    ...(offer ? [`${offer.text}.`] : []),
    ...planted.map((p) => (p.kind === "emoji" || p.kind === "markup" ? p.text : `Good news: ${p.text}.`)),
    "The team",
  ];
  const answer = {
    subject: user.startsWith("Write an email") ? `${person.first_name}, a note from us` : null,
    message_body: lines.join("\n\n"),
    reasoning: `Engagement is ${person.engagement_score} and activation ${person.activation_score}.`,
    confidence: 0.6,
    offer_ids: [...(offer ? [offer.id] : []), ...(repairing && !options.stubborn ? [] : offerIds)],
  };
  return { json: JSON.stringify(answer), planted };
}
