/**
 * Writer inputs shaped like the seeded store's: every lifecycle area and
 * channel, score extremes, offers or none, brand rules that bite.
 */
import { CHANNELS, type Channel } from "../../src/api/schemas.js";
import { LIFECYCLE_AREAS, type LifecycleArea } from "../../src/domain/catalog.js";
import type { WriterInput } from "../../src/writer/types.js";

export const BRAND: WriterInput["brand"] = {
  product_description: "Acme Boards is a planning tool for small product teams.",
  tone_guidelines: "Warm, plain and brief. No hype.",
  things_to_mention: ["shared views", "the setup checklist"],
  things_to_avoid: ["guaranteed", "cheap", "act now"],
};

/** A tenant that has set everything the email rules need; links only to its own site. */
export const POLICY: WriterInput["policy"] = {
  postal_address: "Acme Boards Ltd, 12 Example Lane, Springfield",
  unsubscribe: "https://acme.example/unsubscribe",
  ai_disclosure: null,
  max_emoji: 1,
  link_hosts: ["acme.example"],
};

/** What the writer appends to every email for POLICY, spelt out so a change to it shows here. */
export const EMAIL_FOOTER = "\n\n--\nAcme Boards Ltd, 12 Example Lane, Springfield\nUnsubscribe: https://acme.example/unsubscribe";

export const OFFERS: Partial<Record<LifecycleArea, WriterInput["offers"]>> = {
  upsell: [{ id: "offer_annual_20", text: "20% off the first year of an annual plan" }],
  win_back: [
    { id: "offer_winback_month", text: "your next month free" },
    { id: "offer_winback_code", text: "code COMEBACK15 for 15% off three months" },
  ],
};

const STAGE_FOR: Record<LifecycleArea, string> = {
  onboarding: "onboarding",
  churn_prevention: "at_risk",
  retention: "active",
  upsell: "active",
  win_back: "churned",
};

export function fixtureInput(overrides: {
  area?: LifecycleArea;
  channel?: Channel;
  key?: string;
  firstName?: string;
  scores?: Partial<WriterInput["customer"]>;
  offers?: WriterInput["offers"];
  brand?: Partial<WriterInput["brand"]>;
  policy?: Partial<NonNullable<WriterInput["policy"]>> | null;
} = {}): WriterInput {
  const area = overrides.area ?? "upsell";
  return {
    purpose: "intervention",
    channel: overrides.channel ?? "email",
    customer: {
      first_name: overrides.firstName ?? "Maya",
      locale: "en-US",
      lifecycle_stage: STAGE_FOR[area],
      activation_score: 0.82,
      engagement_score: 0.64,
      expansion_score: 0.77,
      health: 71,
      risk_level: "medium",
      days_since_last_activity: 3,
      days_since_churn: area === "win_back" ? 30 : null,
      ...overrides.scores,
    },
    playbook: {
      id: "6f1c2a9e-4b7d-4c21-9a55-0d3e8f7b1a10",
      name: area === "upsell" ? "Plan Limit Approaching" : "Onboarding Kickstart",
      lifecycle_area: area,
      tone: "friendly",
    },
    offers: overrides.offers ?? [...(OFFERS[area] ?? [])],
    brand: { ...BRAND, ...overrides.brand },
    policy: overrides.policy === null ? null : { ...POLICY!, ...overrides.policy },
    variation_key: overrides.key ?? "int_fixture0000000001",
  };
}

const NAMES = ["Maya", "José", "Li", "Anne-Marie", "O'Brien", "Zoë", "Sam", "Kwame"];

/** Many inputs across every area, channel, score range and offer set, deterministically. */
export function manyInputs(count = 300): WriterInput[] {
  const inputs: WriterInput[] = [];
  for (let i = 0; i < count; i++) {
    const area = LIFECYCLE_AREAS[i % LIFECYCLE_AREAS.length]!;
    const channel = CHANNELS[Math.floor(i / LIFECYCLE_AREAS.length) % CHANNELS.length]!;
    const frac = (n: number) => Math.round(((i * n) % 101) / 100 * 100) / 100;
    inputs.push(
      fixtureInput({
        area,
        channel,
        key: `int_${i.toString(36).padStart(20, "0")}`,
        firstName: NAMES[i % NAMES.length],
        scores: {
          activation_score: frac(37),
          engagement_score: frac(53),
          expansion_score: frac(71),
          health: (i * 13) % 100,
          risk_level: ["low", "medium", "high", "critical"][i % 4]!,
          days_since_last_activity: i % 7 === 0 ? null : (i * 3) % 90,
          days_since_churn: area === "win_back" ? [7, 30, 60, 90][i % 4]! : null,
        },
        brand: i % 3 === 0 ? { things_to_mention: [], things_to_avoid: ["free", "limits", "busy"] } : {},
      }),
    );
  }
  return inputs;
}
