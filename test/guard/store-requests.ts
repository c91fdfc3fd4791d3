/**
 * Approval requests made straight in a store, as the guard makes them, for
 * tests of what answers them (human-answer, the passphrase throttle) that need
 * no agent: a planned email intervention as the API returns it, and a pending
 * request for it with its audit row.
 */
import { actionFactsOf, actionHash, displayFactsOf } from "../../src/domain/action-hash.js";
import { guardEvent } from "../../src/guard/guard-audit.js";
import type { ApprovalTier, Store } from "../../src/store/index.js";
import type { DetailedIntervention } from "../../src/api/schemas.js";

const DAY_MS = 24 * 60 * 60_000;

export function plannedIntervention(id: string, more: Partial<DetailedIntervention> = {}): DetailedIntervention {
  return {
    id,
    user_id: "user-1",
    playbook_id: "00000000-0000-4000-8000-000000000001",
    status: "planned",
    channel: "email",
    message_body: "Hi Maya, a quick note.",
    reasoning: "test",
    confidence: 0.7,
    planned_at: "2026-01-01T00:00:00.000Z",
    flagged: false,
    flag_reason: null,
    quality_checks: null,
    version: 1,
    ...more,
  } as unknown as DetailedIntervention;
}

export interface RequestOptions {
  now?: Date;
  /** Default: a day. */
  ttlMs?: number;
  tier?: Partial<ApprovalTier>;
}

/** A pending request to approve `intervention`, with its approval_requested audit row; its id. */
export async function openRequest(store: Store, intervention: DetailedIntervention, options: RequestOptions = {}): Promise<string> {
  const facts = actionFactsOf("approve", intervention);
  const tier: ApprovalTier = { rule: null, required: 1, excludedOperator: null, remindAfterMs: null, escalateAfterMs: null, ...options.tier };
  const row = await store.approvals.insert(
    {
      tenantId: "live",
      facts,
      display: displayFactsOf(intervention),
      hash: actionHash(facts),
      principal: "local",
      client: { name: "test-client", version: "1" },
      backendId: "local",
      channel: "terminal",
      now: options.now ?? new Date(),
      ttlMs: options.ttlMs ?? DAY_MS,
      tier,
    },
    (inserted) => guardEvent({ event: "approval_requested", actor: "agent:test-client", approval: inserted, detail: {} }),
  );
  return row.id;
}
