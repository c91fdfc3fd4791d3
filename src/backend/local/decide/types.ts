/** The decision engine's own vocabulary, shared by the engine, its holds and its sentences. */
import type { Playbook } from "../../../domain/catalog.js";

export type DecisionAction = "intervene" | "skip" | "wait" | "escalate";

export interface RuleResult {
  passed: boolean;
  detail: string;
}

export interface PlaybookMatch {
  playbook: Playbook;
  /** How clearly the entry conditions held, 0..1 (conditions.ts). */
  fit: number;
  specificity: number;
  entryDetail: string;
}
