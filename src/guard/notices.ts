/**
 * Telling the team about requests: a new one, a reminder, an escalation, an
 * outcome. Each notice goes to every sink (the default one logs to stderr;
 * the approval webhook is another). A sink that fails is logged and never
 * fails the guard: notices are a courtesy, the request stands without them.
 * The view carries no message body and every stored string sanitized to one
 * line, so a sink can relay it to a chat as it is.
 */
import type { Logger } from "../log.js";
import type { ApprovalRow, Store } from "../store/index.js";
import { oneLine } from "../text/sanitize.js";
import { tierLine, tierViewOf } from "./tier-text.js";

export type ApprovalNoticeKind = "requested" | "reminder" | "escalation" | "outcome";

export interface ApprovalNoticeView {
  approval_id: string;
  action: string;
  intervention_id: string;
  channel: string;
  status: string;
  requested_by: string;
  /** The tier in words: "needs 2 of: alice, bob; 1 given (alice)". */
  tier: string;
  required: number;
  given: string[];
  eligible: string[];
  rule: string | null;
  expires_at: string;
  outcome: string | null;
}

export interface ApprovalNotice {
  kind: ApprovalNoticeKind;
  request: ApprovalNoticeView;
  /** The approval page, where it can be opened by the team (never sent to the agent). */
  pageUrl?: string;
  at: string;
}

export interface NoticeSink {
  readonly name: string;
  send(notice: ApprovalNotice): Promise<void>;
}

export async function noticeViewOf(store: Store, row: ApprovalRow): Promise<ApprovalNoticeView> {
  const tier = await tierViewOf(store, row);
  return {
    approval_id: row.id,
    action: row.action,
    intervention_id: row.intervention_id,
    channel: oneLine(JSON.parse(row.facts).channel as string, 20),
    status: row.status,
    requested_by: oneLine(`${row.client_name} ${row.client_version}`, 120),
    tier: tierLine(tier),
    required: tier.required,
    given: tier.given.map((name) => oneLine(name, 40)),
    eligible: tier.eligible.map((name) => oneLine(name, 40)),
    rule: tier.rule === null ? null : oneLine(tier.rule, 80),
    expires_at: row.expires_at,
    outcome: row.outcome === null ? null : oneLine(row.outcome, 300),
  };
}

/** The default sink: one structured log line on stderr per notice. */
export function logSink(logger: Logger): NoticeSink {
  return {
    name: "log",
    async send(notice) {
      logger.info({ notice: notice.kind, approvalId: notice.request.approval_id, intervention: notice.request.intervention_id, tier: notice.request.tier, status: notice.request.status }, `approval ${notice.kind}: ${notice.request.action} of ${notice.request.intervention_id} (${notice.request.tier})`);
    },
  };
}

export interface Notices {
  emit(kind: ApprovalNoticeKind, row: ApprovalRow, pageUrl?: string): Promise<void>;
}

export function createNotices(store: Store, sinks: readonly NoticeSink[], logger: Logger, now: () => Date = () => new Date()): Notices {
  return {
    async emit(kind, row, pageUrl) {
      if (sinks.length === 0) return;
      const notice: ApprovalNotice = { kind, request: await noticeViewOf(store, row), at: now().toISOString(), ...(pageUrl ? { pageUrl } : {}) };
      await Promise.all(
        sinks.map((sink) => sink.send(notice).catch((error: unknown) => logger.warn({ err: error, sink: sink.name, approvalId: row.id }, "an approval notice could not be sent"))),
      );
    },
  };
}
