/**
 * Reading and writing intervention rows. Every status change goes through
 * `compareAndSet`: an UPDATE guarded by the status and version the caller read,
 * so two racing actions from one starting state can never both succeed.
 */
import { randomBytes } from "node:crypto";
import type { Channel, DetailedIntervention, Provenance, QualityChecks, Status } from "../../api/schemas.js";
import { InvalidInputError } from "../../errors.js";
import { compactRow, PREVIEW_CHARS, type CompactIntervention } from "../../api/compact.js";
import type { ListPage, ListQuery } from "../types.js";
import { prepared, type Db } from "./store.js";

export interface InterventionRow {
  seq: number;
  id: string;
  tenant_id: string;
  user_id: string;
  playbook_id: string;
  status: Status;
  channel: Channel;
  subject: string | null;
  message_body: string;
  reasoning: string;
  confidence: number;
  planned_at: string;
  approved_at: string | null;
  sent_at: string | null;
  delivered_at: string | null;
  rolled_back_at: string | null;
  flagged: number;
  /** Raised by the quality checks or the decision engine at creation; never overwritten by a flag action. */
  flag_reason: string | null;
  /** The latest flag action's reason (an agent or an operator), kept beside `flag_reason`. */
  review_flag_reason: string | null;
  quality_checks: string | null;
  reject_reason: string | null;
  rollback_reason: string | null;
  suppress_reason: string | null;
  origin: string;
  provenance: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `int_` + 20 random lowercase alphanumerics (domain.md). */
export function newInterventionId(): string {
  const bytes = randomBytes(20);
  let id = "int_";
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export function toIntervention(row: InterventionRow): DetailedIntervention {
  return {
    id: row.id,
    user_id: row.user_id,
    playbook_id: row.playbook_id,
    status: row.status,
    channel: row.channel,
    subject: row.subject,
    message_body: row.message_body,
    reasoning: row.reasoning,
    confidence: row.confidence,
    planned_at: row.planned_at,
    approved_at: row.approved_at,
    sent_at: row.sent_at,
    delivered_at: row.delivered_at,
    flagged: row.flagged === 1,
    flag_reason: composedFlagReason(row),
    quality_checks: row.quality_checks ? (JSON.parse(row.quality_checks) as QualityChecks) : null,
    version: row.version,
    provenance: row.provenance ? (JSON.parse(row.provenance) as Provenance) : null,
    reject_reason: row.reject_reason,
    rollback_reason: row.rollback_reason,
    origin: row.origin,
  };
}

/**
 * `status:version` of each id found: every change of an intervention bumps
 * its version, so this is what a resource subscription compares. One
 * statement whatever the number of ids (they travel as one JSON array).
 */
export function versionsOf(db: Db, tenantId: string, ids: readonly string[]): Map<string, string> {
  const rows = prepared(db, "SELECT id, status, version FROM interventions WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))").all(
    tenantId,
    JSON.stringify(ids),
  ) as { id: string; status: string; version: number }[];
  return new Map(rows.map((row) => [row.id, `${row.status}:${row.version}`]));
}

/**
 * What `flag_reason` reports: the quality failure or the engine's objection
 * first, then the reason of the latest flag action, so an agent's flag can
 * add to a quality flag but never hide it.
 */
export function composedFlagReason(row: Pick<InterventionRow, "flag_reason" | "review_flag_reason">): string | null {
  if (!row.review_flag_reason) return row.flag_reason;
  if (!row.flag_reason) return row.review_flag_reason;
  return `${row.flag_reason}; flagged for review: ${row.review_flag_reason}`;
}

export function findRow(db: Db, tenantId: string, id: string): InterventionRow | undefined {
  return prepared(db, "SELECT * FROM interventions WHERE id = ? AND tenant_id = ?").get(id, tenantId) as
    | InterventionRow
    | undefined;
}

/** A user's interventions that have not gone out and still could: what a change of consent must reach. */
export function unsentRowsForUser(db: Db, tenantId: string, userId: string): InterventionRow[] {
  return prepared(
    db,
    "SELECT * FROM interventions WHERE tenant_id = ? AND user_id = ? AND status IN ('planned', 'paused', 'approved') ORDER BY seq",
  ).all(tenantId, userId) as InterventionRow[];
}

/** Cursor: the seq of the last row of the page, opaque to callers. */
function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`).toString("base64url");
}

function decodeCursor(cursor: string): number {
  const match = /^s:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) {
    throw new InvalidInputError(
      "cursor is not one this server issued.",
      "Pass the next_cursor value from the previous list_interventions page unchanged, or omit it to start over.",
      { restHint: "GET /api/interventions takes no cursor; omit it." },
    );
  }
  return Number(match[1]);
}

/** Newest first. Each filter is an equality on an indexed column, so a page is a range scan. */
function pageOf<Row extends { seq: number }>(db: Db, tenantId: string, query: ListQuery, columns: string): { rows: Row[]; next_cursor: string | null } {
  const where = ["tenant_id = @tenant_id"];
  const params: Record<string, unknown> = { tenant_id: tenantId, limit: query.limit + 1 };
  const filters: [column: string, value: unknown][] = [
    ["status", query.status],
    ["user_id", query.user_id],
    ["channel", query.channel],
    ["flagged", query.flagged === undefined ? undefined : query.flagged ? 1 : 0],
  ];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    where.push(`${column} = @${column}`);
    params[column] = value;
  }
  if (query.cursor !== undefined) {
    where.push("seq < @before");
    params.before = decodeCursor(query.cursor);
  }
  const rows = prepared(db, `SELECT ${columns} FROM interventions WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT @limit`).all(params) as Row[];
  const hasMore = rows.length > query.limit;
  const page = hasMore ? rows.slice(0, query.limit) : rows;
  return { rows: page, next_cursor: hasMore ? encodeCursor(page[page.length - 1]!.seq) : null };
}

export function listRows(db: Db, tenantId: string, query: ListQuery): ListPage {
  const { rows, next_cursor } = pageOf<InterventionRow>(db, tenantId, query, "*");
  return { interventions: rows.map(toIntervention), next_cursor };
}

/**
 * Only the compact columns, and only the start of the body: reading every
 * column of a page (JSON checks, reasoning) costs about three times as much.
 */
const PREVIEW_SOURCE_CHARS = PREVIEW_CHARS * 4;
const COMPACT_COLUMNS = `seq, id, user_id, playbook_id, status, channel, flagged, flag_reason, review_flag_reason, planned_at,
  substr(message_body, 1, ${PREVIEW_SOURCE_CHARS}) AS message_body, length(message_body) > ${PREVIEW_SOURCE_CHARS} AS body_truncated`;

export function listCompactRows(db: Db, tenantId: string, query: ListQuery): ListPage<CompactIntervention> {
  type Row = Pick<
    InterventionRow,
    "seq" | "id" | "user_id" | "playbook_id" | "status" | "channel" | "flagged" | "flag_reason" | "review_flag_reason" | "planned_at" | "message_body"
  > & { body_truncated: number };
  const { rows, next_cursor } = pageOf<Row>(db, tenantId, query, COMPACT_COLUMNS);
  return {
    interventions: rows.map((row) => compactRow({ ...row, flagged: row.flagged === 1, flag_reason: composedFlagReason(row) }, row.body_truncated === 1)),
    next_cursor,
  };
}

export type NewIntervention = Omit<
  InterventionRow,
  | "seq"
  | "approved_at"
  | "sent_at"
  | "delivered_at"
  | "rolled_back_at"
  | "reject_reason"
  | "rollback_reason"
  | "suppress_reason"
  | "review_flag_reason"
  | "version"
  | "updated_at"
> &
  Partial<Pick<InterventionRow, "approved_at" | "sent_at" | "delivered_at" | "rolled_back_at" | "reject_reason" | "rollback_reason" | "suppress_reason">>;

export function insertRow(db: Db, row: NewIntervention): void {
  prepared(db, 
    `INSERT INTO interventions (id, tenant_id, user_id, playbook_id, status, channel, subject, message_body, reasoning,
       confidence, planned_at, approved_at, sent_at, delivered_at, rolled_back_at, flagged, flag_reason, quality_checks,
       reject_reason, rollback_reason, suppress_reason, origin, provenance, created_at, updated_at)
     VALUES (@id, @tenant_id, @user_id, @playbook_id, @status, @channel, @subject, @message_body, @reasoning,
       @confidence, @planned_at, @approved_at, @sent_at, @delivered_at, @rolled_back_at, @flagged, @flag_reason,
       @quality_checks, @reject_reason, @rollback_reason, @suppress_reason, @origin, @provenance, @created_at, @created_at)`,
  ).run({
    approved_at: null,
    sent_at: null,
    delivered_at: null,
    rolled_back_at: null,
    reject_reason: null,
    rollback_reason: null,
    suppress_reason: null,
    ...row,
  });
}

/** Columns a transition may set besides status, version and updated_at. */
export type RowChanges = Partial<
  Pick<
    InterventionRow,
    | "approved_at"
    | "sent_at"
    | "delivered_at"
    | "rolled_back_at"
    | "flagged"
    | "flag_reason"
    | "review_flag_reason"
    | "reject_reason"
    | "rollback_reason"
    | "suppress_reason"
    | "message_body"
    | "subject"
    | "channel"
    | "planned_at"
  >
> & { status?: Status };

/**
 * Applies `changes` only if the row is still at `expected` (status and version).
 * Returns false when someone else changed it first.
 */
export function compareAndSet(
  db: Db,
  expected: Pick<InterventionRow, "id" | "status" | "version">,
  changes: RowChanges,
  now: string,
): boolean {
  const columns = Object.keys(changes);
  const assignments = columns.map((c) => `${c} = @${c}`);
  const result = prepared(db, 
      `UPDATE interventions SET ${[...assignments, "version = version + 1", "updated_at = @now"].join(", ")}
       WHERE id = @id AND status = @expected_status AND version = @expected_version`,
    )
    .run({ ...changes, now, id: expected.id, expected_status: expected.status, expected_version: expected.version });
  return result.changes === 1;
}
