/**
 * The static text of the demo data set: the tenant's brand, the playbooks, the
 * people and companies, and hand-written messages per playbook and channel.
 * seed.ts draws from these with a seeded PRNG; nothing here is random.
 *
 * Messages are written as data (not by a writer) so the demo reads like a real
 * product's inbox. Bodies stay within the quality checks' channel limits
 * (in-app 280, email 2000) and mention only the offers their playbook allows.
 */
import type { Status } from "../../api/schemas.js";
import type { Condition, LifecycleArea, LifecycleStage, MessagePolicy, Offer, Playbook } from "../../domain/catalog.js";

export const PRODUCT_NAME = "Lumen";

export const BRAND = {
  product_description:
    "Lumen is product analytics for small SaaS teams: funnels, retention cohorts and a weekly insights digest, set up in an afternoon without a data engineer.",
  tone_guidelines:
    "Warm, direct, plain English. Short sentences. Speak to one person. No hype, no exclamation marks, no pressure; always give an easy way to say no.",
  things_to_mention: ["weekly insights digest", "help center", "funnels"],
  things_to_avoid: ["guaranteed", "free forever", "risk-free", "act now", "last chance ever"],
};

/**
 * The demo tenant's message policy: what an email footer must carry (a real
 * tenant's ESP fills the merge token in), a disclosure line for model-written
 * text, and plain brand limits (no emoji, links only to its own site).
 */
export const POLICY: MessagePolicy = {
  postal_address: "Lumen Analytics, Inc., 100 Example Street, Suite 400, Springfield, OR 97477, USA",
  unsubscribe: "{{unsubscribe_url}}",
  ai_disclosure: "This message was drafted with the help of AI.",
  max_emoji: 0,
  link_hosts: ["lumen.example"],
};

export const OFFERS = {
  annual20: { id: "offer_annual_20", text: "20% off an annual plan" },
  teamTrial: { id: "offer_team_trial_14", text: "a 14-day trial of the Team plan" },
  setupCall: { id: "offer_setup_call", text: "a 30-minute setup call with our onboarding team" },
  accountReview: { id: "offer_account_review", text: "a one-on-one account review with a customer success manager" },
  comeback30: { id: "offer_comeback_30", text: "30% off your first month back" },
} satisfies Record<string, Offer>;

export type PlaybookKey = "onboarding" | "churn" | "retention" | "upsell" | "winback7" | "winback30" | "winback60" | "legacy";

export interface PlaybookSpec extends Pick<Playbook, "name" | "status" | "lifecycle_area" | "constraints" | "strategy_hints" | "success_rate"> {
  key: PlaybookKey;
  entry_conditions: Condition;
  exit_conditions: Condition;
}

const NEVER_EXITS: Condition = { any: [] };

export const PLAYBOOKS: readonly PlaybookSpec[] = [
  {
    key: "onboarding",
    name: "Onboarding Kickstart",
    status: "active",
    lifecycle_area: "onboarding",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "in", value: ["new", "onboarding"] },
        { field: "activation_score", op: "<", value: 0.5 },
      ],
    },
    exit_conditions: { any: [{ field: "activation_score", op: ">=", value: 0.8 }] },
    constraints: { channels: ["in_app", "email"], cooldown_hours: 48, max_per_week: 3 },
    strategy_hints: { preferred_channel: "in_app", tone: "encouraging, practical", allowed_offers: [OFFERS.setupCall] },
    success_rate: 0.46,
  },
  {
    key: "churn",
    name: "Churn Risk Rescue",
    status: "active",
    lifecycle_area: "churn_prevention",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "in", value: ["active", "at_risk", "onboarding"] },
        {
          any: [
            { field: "engagement_score", op: "<", value: 0.35 },
            { field: "risk_level", op: "in", value: ["high", "critical"] },
          ],
        },
        { field: "days_since_last_activity", op: ">=", value: 5 },
      ],
    },
    exit_conditions: { any: [{ field: "engagement_score", op: ">=", value: 0.6 }] },
    constraints: { channels: ["email", "in_app", "webhook"], cooldown_hours: 72, max_per_week: 2 },
    strategy_hints: { preferred_channel: "email", tone: "empathetic, no pressure", allowed_offers: [OFFERS.accountReview] },
    success_rate: 0.31,
  },
  {
    key: "retention",
    name: "Habit Builder",
    status: "active",
    lifecycle_area: "retention",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "in", value: ["active", "recovered"] },
        { field: "engagement_score", op: ">=", value: 0.35 },
        { field: "engagement_score", op: "<", value: 0.6 },
        { field: "health", op: ">=", value: 0.4 },
      ],
    },
    exit_conditions: { any: [{ field: "risk_level", op: "in", value: ["high", "critical"] }] },
    constraints: { channels: ["in_app", "email"], cooldown_hours: 96, max_per_week: 1 },
    strategy_hints: { preferred_channel: "in_app", tone: "friendly, useful", allowed_offers: [] },
    success_rate: 0.38,
  },
  {
    key: "upsell",
    name: "Plan Limit Approaching",
    status: "active",
    lifecycle_area: "upsell",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "==", value: "active" },
        { field: "expansion_score", op: ">=", value: 0.7 },
        { field: "engagement_score", op: ">=", value: 0.6 },
      ],
    },
    exit_conditions: { any: [{ field: "risk_level", op: "in", value: ["high", "critical"] }] },
    constraints: { channels: ["email", "in_app"], cooldown_hours: 168, max_per_week: 1 },
    strategy_hints: { preferred_channel: "email", tone: "helpful, matter-of-fact", allowed_offers: [OFFERS.annual20, OFFERS.teamTrial] },
    success_rate: 0.24,
  },
  {
    key: "winback7",
    name: "Win-back: 7-day check-in",
    status: "active",
    lifecycle_area: "win_back",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "==", value: "churned" },
        { field: "days_since_churn", op: ">=", value: 7 },
        { field: "days_since_churn", op: "<", value: 30 },
      ],
    },
    exit_conditions: NEVER_EXITS,
    constraints: { channels: ["email"], cooldown_hours: 144, max_per_week: 1 },
    strategy_hints: { preferred_channel: "email", tone: "gentle reminder", allowed_offers: [] },
    success_rate: 0.12,
  },
  {
    key: "winback30",
    name: "Win-back: 30-day what's new",
    status: "active",
    lifecycle_area: "win_back",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "==", value: "churned" },
        { field: "days_since_churn", op: ">=", value: 30 },
        { field: "days_since_churn", op: "<", value: 60 },
      ],
    },
    exit_conditions: NEVER_EXITS,
    constraints: { channels: ["email", "in_app"], cooldown_hours: 336, max_per_week: 1 },
    strategy_hints: { preferred_channel: "email", tone: "upbeat, show what changed", allowed_offers: [OFFERS.comeback30] },
    success_rate: 0.09,
  },
  {
    key: "winback60",
    name: "Win-back: 60-day last call",
    status: "active",
    lifecycle_area: "win_back",
    entry_conditions: {
      all: [
        { field: "lifecycle_stage", op: "==", value: "churned" },
        { field: "days_since_churn", op: ">=", value: 60 },
        { field: "days_since_churn", op: "<", value: 120 },
      ],
    },
    exit_conditions: NEVER_EXITS,
    constraints: { channels: ["email"], cooldown_hours: 720, max_per_week: 1 },
    strategy_hints: { preferred_channel: "email", tone: "candid, ask for feedback", allowed_offers: [OFFERS.annual20] },
    success_rate: 0.06,
  },
  {
    key: "legacy",
    name: "Trial Expiry Nudge (legacy)",
    status: "archived",
    lifecycle_area: "onboarding",
    entry_conditions: { all: [{ field: "lifecycle_stage", op: "==", value: "new" }] },
    exit_conditions: NEVER_EXITS,
    constraints: { channels: ["email"], cooldown_hours: 24, max_per_week: 2 },
    strategy_hints: { preferred_channel: "email", tone: "urgent", allowed_offers: [] },
    success_rate: 0.04,
  },
];

/** Which lifecycle stages each area serves (domain.md); used when no customer matches a playbook exactly. */
export const AREA_STAGES: Record<LifecycleArea, readonly string[]> = {
  onboarding: ["new", "onboarding"],
  churn_prevention: ["active", "at_risk", "onboarding"],
  retention: ["active", "recovered"],
  upsell: ["active"],
  win_back: ["churned"],
};

// ------------------------------------------------------------------ shape of the data set

export type Range = readonly [min: number, max: number];

export interface StageProfile {
  activation: Range;
  engagement: Range;
  expansion: Range;
  ageDays: Range;
  inactiveDays: Range;
  churnedDays?: Range;
}

/** Scores and timing that make each stage look like itself. */
export const STAGE_PROFILES: Record<LifecycleStage, StageProfile> = {
  new: { activation: [0, 0.3], engagement: [0.1, 0.5], expansion: [0, 0.2], ageDays: [0, 10], inactiveDays: [0, 3] },
  onboarding: { activation: [0.2, 0.75], engagement: [0.2, 0.7], expansion: [0, 0.4], ageDays: [7, 45], inactiveDays: [0, 12] },
  active: { activation: [0.7, 1], engagement: [0.35, 0.98], expansion: [0.1, 0.95], ageDays: [30, 720], inactiveDays: [0, 8] },
  at_risk: { activation: [0.4, 0.95], engagement: [0.05, 0.4], expansion: [0, 0.5], ageDays: [60, 720], inactiveDays: [5, 30] },
  churned: { activation: [0.2, 0.9], engagement: [0, 0.12], expansion: [0, 0.2], ageDays: [150, 900], inactiveDays: [0, 14], churnedDays: [1, 120] },
  recovered: { activation: [0.6, 1], engagement: [0.4, 0.85], expansion: [0.1, 0.6], ageDays: [320, 900], inactiveDays: [0, 5], churnedDays: [60, 300] },
};

/** Exact counts (summing to 200) so every stage is always present, whatever the seed. */
export const STAGE_COUNTS: Record<LifecycleStage, number> = { new: 20, onboarding: 30, active: 70, at_risk: 30, churned: 30, recovered: 20 };
/** About 5% each: enough for the gates to show up in any listing. */
export const OPTED_OUT_USERS = 10;
export const PAUSED_USERS = 10;

/**
 * 60 in all; every status of domain.md, weighted like a live queue. Planned
 * holds the planted failures (seed-planted.ts) and still ten clean ones.
 */
export const STATUS_COUNTS: Record<Status, number> = {
  planned: 17,
  approved: 7,
  paused: 5,
  rejected: 6,
  sent: 4,
  delivered: 10,
  failed: 3,
  suppressed: 4,
  rolled_back: 4,
};

/** How long ago (hours) interventions of each status were created. */
export const AGE_HOURS: Record<Status, Range> = {
  planned: [1, 72],
  approved: [6, 96],
  paused: [12, 120],
  rejected: [24, 480],
  sent: [1, 6],
  delivered: [24, 720],
  failed: [24, 480],
  suppressed: [24, 480],
  rolled_back: [48, 720],
};

// ------------------------------------------------------------------ people

export const FIRST_NAMES = [
  "Dana", "Priya", "Marcus", "Sofia", "Kenji", "Amara", "Lukas", "Chloé", "Mateo", "Aisha",
  "Tom", "Ingrid", "Rafael", "Mei", "Oluwaseun", "Hannah", "Diego", "Fatima", "Noah", "Elif",
  "Jonas", "Camille", "Arjun", "Yuki", "Grace", "Tobias", "Leila", "Samuel", "Anouk", "Ravi",
  "Julia", "Kwame", "Emma", "Hiroshi", "Isabel", "Omar", "Freya", "Daniel", "Zanele", "Pierre",
  "Nina", "Carlos", "Ayumi", "Ben", "Lucía", "Ethan", "Sanne", "Malik",
];

export const LAST_NAMES = [
  "Kowalski", "Raman", "Bennett", "Rossi", "Tanaka", "Okafor", "Schmidt", "Dubois", "García", "Khan",
  "Walsh", "Lindqvist", "Oliveira", "Chen", "Adeyemi", "Fischer", "Morales", "Haddad", "Becker", "Yilmaz",
  "Jansen", "Laurent", "Mehta", "Sato", "O'Brien", "Weber", "Nasser", "Mensah", "de Vries", "Iyer",
  "Novak", "Boateng", "Clarke", "Nakamura", "Ferreira", "Farouk", "Nilsson", "Murphy", "Dlamini", "Moreau",
  "Petrova", "Ruiz", "Kimura", "Hughes", "Torres", "Price", "Bakker", "Hassan",
];

export const COMPANIES: ReadonlyArray<{ name: string; domain: string }> = [
  { name: "Brightloop", domain: "brightloop.io" },
  { name: "Parcelwise", domain: "parcelwise.com" },
  { name: "Hearth & Co", domain: "hearthco.com" },
  { name: "Tidewater Labs", domain: "tidewaterlabs.dev" },
  { name: "Quillstack", domain: "quillstack.app" },
  { name: "Northbeam Health", domain: "northbeamhealth.com" },
  { name: "Fernway Travel", domain: "fernway.travel" },
  { name: "Copperleaf Finance", domain: "copperleaf.finance" },
  { name: "Mosaic Learning", domain: "mosaiclearning.org" },
  { name: "Kettle Analytics", domain: "kettle.so" },
  { name: "Orbital Desk", domain: "orbitaldesk.com" },
  { name: "Saltmarsh Studio", domain: "saltmarsh.studio" },
  { name: "Greenlane Logistics", domain: "greenlane.co" },
  { name: "Pixelforge", domain: "pixelforge.games" },
  { name: "Ledgerly", domain: "ledgerly.app" },
  { name: "Harbor HR", domain: "harborhr.com" },
  { name: "Cobalt Robotics", domain: "cobaltrobotics.ai" },
  { name: "Juniper Legal", domain: "juniperlegal.com" },
  { name: "Atlas Fitness Cloud", domain: "atlasfit.cloud" },
  { name: "Meridian Retail", domain: "meridianretail.com" },
  { name: "Sparrow Health", domain: "sparrowhealth.io" },
  { name: "Woodward Media", domain: "woodwardmedia.net" },
  { name: "Velvet Commerce", domain: "velvetcommerce.shop" },
  { name: "Basalt Security", domain: "basaltsec.com" },
  { name: "Lighthouse CRM", domain: "lighthousecrm.com" },
  { name: "Tandem Bikes", domain: "tandembikes.eu" },
  { name: "Oakridge Schools", domain: "oakridge.edu" },
  { name: "Flux Energy", domain: "fluxenergy.de" },
  { name: "Nimbus Notes", domain: "nimbusnotes.app" },
  { name: "Riverbend Dental", domain: "riverbenddental.com" },
];

export const ROLES = [
  "Founder", "CEO", "CTO", "Head of Product", "Product Manager", "Growth Lead", "Data Analyst",
  "Marketing Manager", "Engineering Manager", "Customer Success Lead", "Operations Manager",
  "Software Engineer", "UX Researcher", "Head of Growth",
];

export const TEAM_SIZES = [1, 2, 3, 5, 8, 12, 20, 35, 60, 120, 250, 500];

/** Weighted: most of the demo tenant's users are English-speaking. */
export const LOCALES: ReadonlyArray<[locale: string, weight: number]> = [
  ["en", 50], ["en-GB", 12], ["de", 10], ["fr", 8], ["es", 7], ["pt-BR", 5], ["nl", 4], ["ja", 4],
];

// ------------------------------------------------------------------ messages

export interface MessageFacts {
  firstName: string;
  company: string;
  activation: number;
  engagement: number;
  expansion: number;
  health: number;
  risk: string;
  stage: string;
  daysInactive: number | null;
  daysSinceChurn: number | null;
}

export interface MessageTemplate {
  subject: (f: MessageFacts) => string;
  email: (f: MessageFacts) => string;
  /** Also used for webhooks, whose receivers render their own card. */
  in_app: (f: MessageFacts) => string;
  /** Operator-facing; cites only the customer's real scores. */
  reasoning: (f: MessageFacts) => string;
}

export const signOff = `\n\nThanks,\nMaya from the ${PRODUCT_NAME} team\n\nReply to this email if you'd rather not hear from us about this.`;
const inactiveFor = (f: MessageFacts) => (f.daysInactive === null ? "no recorded activity" : `${f.daysInactive} days without activity`);

export const MESSAGES: Record<PlaybookKey, MessageTemplate> = {
  onboarding: {
    subject: () => "Your first funnel takes about five minutes",
    email: (f) =>
      `Hi ${f.firstName},\n\nYou've connected your events, which is the hard part. The next step most teams find useful is a first funnel: pick a signup step and a key action, and ${PRODUCT_NAME} shows you where people drop off.\n\nIf you'd like a hand, we can set it up together on a 30-minute setup call with our onboarding team, or the help center has a short walkthrough.${signOff}`,
    in_app: (f) =>
      `Hi ${f.firstName}, ready for your first funnel? Pick a signup step and one key action, and we'll show where people drop off. The help center has a two-minute walkthrough.`,
    reasoning: (f) =>
      `Stage ${f.stage} with activation_score ${f.activation} and engagement_score ${f.engagement}: events are flowing but the first funnel is not built yet. A short, practical nudge toward it usually lifts activation.`,
  },
  churn: {
    subject: (f) => `Is ${PRODUCT_NAME} still working for ${f.company}?`,
    email: (f) =>
      `Hi ${f.firstName},\n\nWe noticed things have gone quiet in your ${PRODUCT_NAME} workspace. That's often a sign something isn't quite fitting, and we'd like to know what.\n\nIf it helps, we can offer a one-on-one account review with a customer success manager to look at which reports are worth keeping. Or just reply with a line about what got in the way.${signOff}`,
    in_app: (f) =>
      `Hi ${f.firstName}, anything we can make easier? If your reports aren't answering the right questions, book a one-on-one account review with a customer success manager.`,
    reasoning: (f) =>
      `Risk ${f.risk}: engagement_score ${f.engagement} and health ${f.health}, with ${inactiveFor(f)}. Activation was ${f.activation}, so the account got value before; an empathetic check-in with the account review offer fits better than a feature push.`,
  },
  retention: {
    subject: () => "A quicker way to keep an eye on your numbers",
    email: (f) =>
      `Hi ${f.firstName},\n\nA small tip: the weekly insights digest sends your key funnels and retention cohorts to your inbox every Monday, so you can spot changes without opening a dashboard. You can switch it on under Settings → Digest.${signOff}`,
    in_app: (f) =>
      `Tip for ${f.firstName}: turn on the weekly insights digest to get your funnels and cohorts in your inbox every Monday. Settings → Digest.`,
    reasoning: (f) =>
      `Stage ${f.stage} with a middling engagement_score of ${f.engagement} and health ${f.health}. Building a weekly habit through the digest is the lightest way to keep them coming back.`,
  },
  upsell: {
    subject: () => "You're close to your plan's event limit",
    email: (f) =>
      `Hi ${f.firstName},\n\n${f.company} is getting a lot out of ${PRODUCT_NAME}: you're close to your plan's monthly event limit. To keep every event flowing, you could try a 14-day trial of the Team plan, and if annual billing suits you better, there's 20% off an annual plan.\n\nNo action needed if you'd rather stay where you are; nothing stops working without a heads-up from us.${signOff}`,
    in_app: () =>
      `You're close to your plan's event limit. Try a 14-day trial of the Team plan to keep every event flowing, or see 20% off an annual plan under Billing.`,
    reasoning: (f) =>
      `Heavy, healthy usage approaching the plan limit: expansion_score ${f.expansion}, engagement_score ${f.engagement}, health ${f.health}. A matter-of-fact upgrade note with the allowed offers is timely.`,
  },
  winback7: {
    subject: () => "Your dashboards are still here",
    email: (f) =>
      `Hi ${f.firstName},\n\nJust a quick note: your ${PRODUCT_NAME} workspace and dashboards are still here if you need them. If something made you step away, we'd genuinely like to hear it.${signOff}`,
    in_app: (f) => `Welcome back, ${f.firstName}. Your dashboards are just as you left them.`,
    reasoning: (f) =>
      `Churned ${f.daysSinceChurn ?? "some"} days ago after activation_score ${f.activation}. The 7-day step is a gentle reminder that their setup is intact, with no offer.`,
  },
  winback30: {
    subject: () => `What's new in ${PRODUCT_NAME} since you left`,
    email: (f) =>
      `Hi ${f.firstName},\n\nA few things have changed since you last used ${PRODUCT_NAME}: funnels now compare segments side by side, and the weekly insights digest can go to your whole team. If you'd like to take another look, we can offer 30% off your first month back.${signOff}`,
    in_app: (f) =>
      `Hi ${f.firstName}, funnels now compare segments side by side. Come back for 30% off your first month back.`,
    reasoning: (f) =>
      `Churned ${f.daysSinceChurn ?? "some"} days ago; engagement_score ${f.engagement} before leaving. The 30-day step shows concrete product changes and the comeback offer.`,
  },
  winback60: {
    subject: () => "Before we archive your workspace",
    email: (f) =>
      `Hi ${f.firstName},\n\nIt's been a while since ${f.company} used ${PRODUCT_NAME}. We'll archive inactive workspaces soon, and before we do we'd be grateful for one line on what didn't work for you. If you do come back, we can offer 20% off an annual plan.${signOff}`,
    in_app: (f) => `Hi ${f.firstName}, one line on what didn't work for you would help us a lot.`,
    reasoning: (f) =>
      `Churned ${f.daysSinceChurn ?? "some"} days ago with health ${f.health}. The 60-day step is candid: archive notice, a feedback ask and the annual offer.`,
  },
  legacy: {
    subject: () => "Your trial is ending",
    email: (f) => `Hi ${f.firstName},\n\nYour ${PRODUCT_NAME} trial is ending soon. Pick a plan under Billing to keep your dashboards.${signOff}`,
    in_app: () => `Your trial is ending soon. Pick a plan under Billing to keep your dashboards.`,
    reasoning: (f) => `Stage ${f.stage} with activation_score ${f.activation} near the end of the trial (legacy playbook).`,
  },
};

// ------------------------------------------------------------------ human decisions

export const REJECT_REASONS = [
  "Customer is mid-renegotiation with sales; hold all automated outreach.",
  "Tone is too pushy for this account.",
  "Duplicate of a message support already sent this week.",
  "Wrong audience: this user is an invited viewer, not the admin.",
  "Customer asked support not to be contacted this month.",
  "Offer not approved for this segment.",
];

export const ROLLBACK_REASONS = [
  "Sent to the wrong workspace admin.",
  "Customer had already renewed; message was out of date.",
  "Pricing in the message changed the same day.",
  "Legal asked us to withdraw this wording.",
];

export const SUPPRESS_REASONS = { opted_out: "user opted out", paused: "user paused" } as const;
