/**
 * The catalog around interventions, as Retivo's domain defines it
 * (domain.md): tenant settings with brand context and message policy,
 * customers, playbooks with their conditions and offers. Types only: the
 * store keeps them, the decision engine and the writer read them.
 */
import type { Channel } from "../api/schemas.js";

export const LIFECYCLE_STAGES = ["new", "onboarding", "active", "at_risk", "churned", "recovered"] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];
export const LIFECYCLE_AREAS = ["onboarding", "churn_prevention", "retention", "upsell", "win_back"] as const;
export type LifecycleArea = (typeof LIFECYCLE_AREAS)[number];
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

export interface BrandContext {
  product_description: string;
  tone_guidelines: string;
  things_to_mention: string[];
  things_to_avoid: string[];
}

/**
 * What the tenant requires of every message beyond its tone: the law's email
 * footer (CAN-SPAM: the sender's postal address and a working opt-out), an
 * optional disclosure line for model-written text, and brand limits.
 */
export interface MessagePolicy {
  /** The sender's postal address, printed in every email footer. */
  postal_address: string | null;
  /** The opt-out every email carries: an ESP merge token ("{{unsubscribe_url}}") or a URL. */
  unsubscribe: string | null;
  /** Appended to text a model wrote (provenance.generated); null: no disclosure line. */
  ai_disclosure: string | null;
  /** Most emoji a message may carry; null: no limit. */
  max_emoji: number | null;
  /** Hosts a message may link to (subdomains included); empty: no links. */
  link_hosts: string[];
}

export interface TenantSettings {
  id: string;
  name: string;
  kill_switch_active: boolean;
  shadow_mode: boolean;
  brand: BrandContext;
  policy: MessagePolicy;
  webhook_url: string | null;
  /** Never returned by tools or resources. */
  webhook_secret: string | null;
  escalation_threshold: number;
}

export interface Customer {
  id: string;
  name: string;
  email: string;
  company: string | null;
  role: string | null;
  team_size: number | null;
  locale: string;
  lifecycle_stage: LifecycleStage;
  activation_score: number;
  engagement_score: number;
  expansion_score: number;
  health: number;
  risk_level: string;
  opted_out: boolean;
  paused: boolean;
  last_activity_at: string | null;
  churned_at: string | null;
  created_at: string;
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { field: string; op: "<" | "<=" | ">" | ">=" | "==" | "!=" | "in"; value: unknown };

export interface Offer {
  id: string;
  text: string;
}

export interface Playbook {
  id: string;
  name: string;
  status: string;
  lifecycle_area: LifecycleArea;
  entry_conditions: Condition;
  exit_conditions: Condition;
  constraints: { channels: Channel[]; cooldown_hours: number; max_per_week: number };
  strategy_hints: { preferred_channel?: Channel; tone?: string; allowed_offers?: Offer[] };
  created_at: string;
  status_changed_at: string;
  success_rate: number | null;
}
