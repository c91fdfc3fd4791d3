/**
 * Interventions the seed plants on purpose so triage has something real to
 * find: each breaks one rule (a quality check, the email footer, a brand
 * limit, the AI disclosure, consent) or was flagged by a human. Their quality
 * checks are computed by the writer's own checks like every other seeded
 * message, so what a planted message fails is what the checks really say.
 */
import type { Provenance } from "../../api/schemas.js";
import { PRODUCT_NAME, signOff, type MessageFacts, type PlaybookKey } from "./seed-data.js";

/** Which parts of the email footer a planted message keeps. */
export type PlantedFooter = "full" | "no_unsubscribe" | "no_address";

export interface PlantedMessage {
  status: "planned" | "paused" | "rejected" | "rolled_back" | "approved";
  playbook: PlaybookKey;
  channel: "email" | "in_app";
  subject: string | null;
  body: (f: MessageFacts) => string;
  /** What it is there to show, for the seed's tests and for a reader of this file. */
  breaks: string;
  footer?: PlantedFooter;
  /** Flagged by a human although every check passes. */
  human_flag?: string;
  /** Planned for a customer who opted out afterwards: flagged, and approval is refused. */
  consent?: true;
  provenance?: Provenance;
}

/** A model-written message, as the openai provider records it. */
const MODEL_PROVENANCE: Provenance = {
  provider: "openai",
  generated: true,
  model: "gpt-4o-mini",
  prompt_id: "chat/in_app",
  prompt_hash: "seed-model-draft",
};

export const PLANTED: readonly PlantedMessage[] = [
  {
    status: "planned",
    playbook: "upsell",
    channel: "email",
    subject: "More room for your events",
    body: (f) =>
      `Hi ${f.firstName},\n\nUpgrading to the Team plan is guaranteed to pay for itself in the first month. Start a 14-day trial of the Team plan today.${signOff}`,
    breaks: "avoid_terms",
  },
  {
    status: "paused",
    playbook: "onboarding",
    channel: "in_app",
    subject: null,
    body: () => `Hi {{first_name}}, your first funnel is one click away. Pick a signup step and a key action to see where people drop off.`,
    breaks: "placeholders",
  },
  {
    status: "rejected",
    playbook: "winback30",
    channel: "email",
    subject: "Come back for half price",
    body: (f) => `Hi ${f.firstName},\n\nWe miss you. Come back today and get 50% off for three months.${signOff}`,
    breaks: "offers",
  },
  {
    status: "planned",
    playbook: "churn",
    channel: "email",
    subject: "Can we help?",
    body: (f) =>
      `Hi ${f.firstName},\n\nThings have been quiet lately. Your account manager is happy to help: write to priya.raman@lumen-analytics.example or call +1 415 555 0199.${signOff}`,
    breaks: "pii",
  },
  {
    status: "rolled_back",
    playbook: "upsell",
    channel: "in_app",
    subject: null,
    body: () => `You're close to your plan's event limit. Try a 14-day trial of the Team plan to keep every event flowing.`,
    breaks: "human flag",
    human_flag: "Customer had already upgraded the day before; message was out of date.",
  },
  {
    status: "planned",
    playbook: "churn",
    channel: "email",
    subject: "A quick check-in",
    body: (f) =>
      `Hi ${f.firstName},\n\nWe noticed things have gone quiet in your ${PRODUCT_NAME} workspace. If something got in the way, reply with a line and we will take a look.\n\nThanks,\nMaya from the ${PRODUCT_NAME} team`,
    breaks: "unsubscribe",
    footer: "no_unsubscribe",
  },
  {
    status: "paused",
    playbook: "winback7",
    channel: "email",
    subject: "Your dashboards are still here",
    body: (f) => `Hi ${f.firstName},\n\nYour ${PRODUCT_NAME} workspace and dashboards are still here if you need them.${signOff}`,
    breaks: "postal_address",
    footer: "no_address",
  },
  {
    status: "planned",
    playbook: "retention",
    channel: "in_app",
    subject: null,
    body: (f) => `✨ ${f.firstName}, your weekly insights digest is ready 🎉 Turn it on under Settings → Digest.`,
    breaks: "emoji",
  },
  {
    status: "planned",
    playbook: "onboarding",
    channel: "email",
    subject: "Your first funnel takes about five minutes",
    body: (f) =>
      `Hi ${f.firstName},\n\nThe quickest way to your first funnel is our video walkthrough: https://bit.ly/lumen-funnel-setup. It takes about five minutes.${signOff}`,
    breaks: "links",
  },
  {
    status: "planned",
    playbook: "retention",
    channel: "in_app",
    subject: null,
    body: (f) => `<b>Tip for ${f.firstName}:</b> turn on the weekly insights digest under Settings → Digest.`,
    breaks: "markup",
  },
  {
    status: "planned",
    playbook: "upsell",
    channel: "email",
    subject: "20% off your upgrade",
    body: (f) =>
      `Hi ${f.firstName},\n\nYou're close to your plan's monthly event limit. To keep every event flowing, you could try a 14-day trial of the Team plan.${signOff}`,
    breaks: "subject_matches_body (warn only: not flagged)",
  },
  {
    status: "paused",
    playbook: "upsell",
    channel: "in_app",
    subject: null,
    body: () => `You're close to your plan's event limit. A 14-day trial of the Team plan keeps every event flowing.`,
    breaks: "ai_disclosure",
    provenance: MODEL_PROVENANCE,
  },
  {
    status: "planned",
    playbook: "churn",
    channel: "in_app",
    subject: null,
    body: (f) => `Hi ${f.firstName}, anything we can make easier? Book a one-on-one account review with a customer success manager.`,
    breaks: "consent",
    consent: true,
  },
];
