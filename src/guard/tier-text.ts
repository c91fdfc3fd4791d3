/**
 * The tier of a request in words, the same everywhere a human or an agent
 * looks (the pending result, the page, the CLI, `approvals list`): how many
 * distinct operators must approve, who may, and who already did, e.g.
 * "needs 2 of: alice, bob, carol; 1 given (alice)". Operator names are
 * passed through the sanitizer like every other stored string.
 */
import type { ApprovalRow, Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";

export interface TierView {
  required: number;
  /** The operators whose approval counts (all of them but the requester's own, when the tier bars them). */
  eligible: string[];
  /** Who approved so far, in order. */
  given: string[];
  excluded: string | null;
  /** The policy rule that set the tier, if one did. */
  rule: string | null;
}

export async function tierViewOf(store: Store, row: ApprovalRow): Promise<TierView> {
  const operators = (await store.operators.list()).map((operator) => operator.name);
  const given = (await store.approvals.decisionsOf(row.id)).filter((d) => d.answer === "approve").map((d) => d.operator);
  const rule = row.tier ? ((JSON.parse(row.tier) as { rule?: string | null }).rule ?? null) : null;
  return { required: row.required_approvals, eligible: operators.filter((name) => name !== row.excluded_operator), given, excluded: row.excluded_operator, rule };
}

const names = (list: string[]) => list.map((name) => oneLine(name, 40)).join(", ");

/** "needs 2 of: alice, bob, carol; 1 given (alice)"; "needs 1 human" without operators. */
export function tierLine(view: TierView): string {
  const of = view.eligible.length > 0 ? ` of: ${names(view.eligible)}` : view.required === 1 ? " human" : " humans";
  const given = view.given.length > 0 ? `; ${view.given.length} given (${names(view.given)})` : "; none given yet";
  const barred = view.excluded ? `; not ${oneLine(view.excluded, 40)} (the requester's own)` : "";
  return `needs ${view.required}${of}${given}${barred}`;
}

/** Whether the tier says more than today's single anonymous approval (worth showing at all). */
export function isTeamTier(view: TierView): boolean {
  return view.required > 1 || view.eligible.length > 0 || view.excluded !== null;
}
