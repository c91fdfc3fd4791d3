/**
 * The status machine of domain.md: which action is allowed from which status,
 * and where it leads. Pure data and functions; the store applies them with a
 * compare-and-set. The one statement of it: the tools, the HTTP backend and
 * the prompts read it from here.
 */
import type { Status } from "../api/schemas.js";
import { IllegalTransitionError } from "../errors.js";

export type Action = "approve" | "pause" | "reject" | "rollback";

/** The two actions that need a human's approval: they release or retract a message. */
export type GuardedAction = Extract<Action, "approve" | "rollback">;

interface Rule {
  from: readonly Status[];
  to: Status;
}

export const TRANSITIONS: Readonly<Record<Action, Rule>> = {
  approve: { from: ["planned", "paused"], to: "approved" },
  pause: { from: ["planned", "approved"], to: "paused" },
  reject: { from: ["planned", "paused", "approved"], to: "rejected" },
  rollback: { from: ["sent", "delivered"], to: "rolled_back" },
};

export type TransitionPlan = { kind: "noop" } | { kind: "move"; to: Status };

/**
 * What `action` does to an intervention in `current`: nothing (already there),
 * a move, or an IllegalTransitionError naming the allowed statuses.
 */
export function planTransition(action: Action, id: string, current: Status): TransitionPlan {
  const rule = TRANSITIONS[action];
  if (current === rule.to) return { kind: "noop" };
  if (rule.from.includes(current)) return { kind: "move", to: rule.to };
  throw new IllegalTransitionError(action, id, current, rule.from);
}

/** Where `action` leads. */
export function targetOf(action: Action): Status {
  return TRANSITIONS[action].to;
}

/**
 * Thrown by a transition asked to change nothing (noOpOnly) when it would
 * change something: a question, not a failure, and never shown to anyone.
 */
export class WouldMoveError extends Error {
  constructor() {
    super("the action would change the intervention");
  }
}
