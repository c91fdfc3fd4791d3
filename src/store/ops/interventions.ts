/**
 * Reading and writing intervention rows. Every status change goes through
 * `compareAndSet`: an UPDATE guarded by the status and version the caller read,
 * so two racing actions from one starting state can never both succeed.
 */
import { randomBytes } from "node:crypto";
import type { Channel, DetailedIntervention, Provenance, QualityChecks, Status } from "../../api/schemas.js";
import { InvalidInputError } from "../../errors.js";
import { compactRow, preview, PREVIEW_CHARS, type CompactIntervention } from "../../api/compact.js";
import type { ListPage, ListQuery } from "../../domain/list.js";
import type { Tx } from "../sql.js";
import { outcomeOfRecord } from "./deliveries.js";

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
 * statement for all of them (a session watches at most 100).
 */
export async function versionsOf(tx: Tx, tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.all<{ id: string; status: string; version: number }>(
    `SELECT id, status, version FROM interventions WHERE tenant_id = ? AND id IN (${ids.map(() => "?").join(", ")})`,
    [tenantId, ...ids],
  );
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

export function findRow(tx: Tx, tenantId: string, id: string): Promise<InterventionRow | undefined> {
  return tx.get<InterventionRow>("SELECT * FROM interventions WHERE id = ? AND tenant_id = ?", [id, tenantId]);
}

/**
 * What get_intervention shows, in one statement: the row and its latest
 * delivery record's outcome, read together (one round trip on PostgreSQL,
 * one read lock on SQLite).
 */
export async function findDetail(tx: Tx, tenantId: string, id: string): Promise<DetailedIntervention | undefined> {
  const row = await tx.get<InterventionRow & { latest_delivery: string | null }>(
    `SELECT *, (SELECT outcome FROM deliveries WHERE intervention_id = interventions.id AND kind = 'delivery' ORDER BY id DESC LIMIT 1) AS latest_delivery
     FROM interventions WHERE id = ? AND tenant_id = ?`,
    [id, tenantId],
  );
  if (!row) return undefined;
  const intervention = toIntervention(row);
  const outcome = row.latest_delivery === null ? undefined : outcomeOfRecord(row.latest_delivery);
  return outcome ? { ...intervention, delivery_outcome: outcome } : intervention;
}

/** Any tenant's row: for the dispatcher, which owns several tenants. */
export function findAnyRow(tx: Tx, id: string): Promise<InterventionRow | undefined> {
  return tx.get<InterventionRow>("SELECT * FROM interventions WHERE id = ?", [id]);
}

/** A user's interventions that have not gone out and still could: what a change of consent must reach. */
export function unsentRowsForUser(tx: Tx, tenantId: string, userId: string): Promise<InterventionRow[]> {
  return tx.all<InterventionRow>(
    "SELECT * FROM interventions WHERE tenant_id = ? AND user_id = ? AND status IN ('planned', 'paused', 'approved') ORDER BY seq",
    [tenantId, userId],
  );
}

/** A user's interventions created after `since`, oldest first: what cooldowns and weekly caps count. Walks the (tenant_id, user_id, seq) index. */
export function createdSince(tx: Tx, tenantId: string, userId: string, since: string): Promise<{ playbook_id: string; status: string; created_at: string }[]> {
  return tx.all(
    `SELECT playbook_id, status, created_at FROM interventions
     WHERE tenant_id = ? AND user_id = ? AND created_at > ? ORDER BY created_at, seq`,
    [tenantId, userId, since],
  );
}

/** How many interventions a tenant has in each status, by status name: what `retivo-mcp seed` reports. */
export async function countByStatus(tx: Tx, tenantId: string): Promise<{ status: string; n: number }[]> {
  const rows = await tx.all<{ status: string; n: number | string }>(
    "SELECT status, COUNT(*) AS n FROM interventions WHERE tenant_id = ? GROUP BY status ORDER BY status",
    [tenantId],
  );
  // PostgreSQL returns COUNT(*) as a bigint string.
  return rows.map(({ status, n }) => ({ status, n: Number(n) }));
}

/** Ids starting with `prefix`, newest first, optionally of some statuses: completions. */
export function idsByPrefix(tx: Tx, tenantId: string, prefix: string, statuses: readonly string[] | undefined, limit: number): Promise<string[]> {
  const statusFilter = statuses?.length ? `AND status IN (${statuses.map(() => "?").join(", ")})` : "";
  return tx
    .all<{ id: string }>(`SELECT id FROM interventions WHERE tenant_id = ? AND id >= ? AND id < ? ${statusFilter} ORDER BY seq DESC LIMIT ?`, [
      tenantId,
      prefix,
      `${prefix}\uffff`,
      ...(statuses ?? []),
      limit,
    ])
    .then((rows) => rows.map((r) => r.id));
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

/**
 * The LIMIT of a page query, one more row than the page to tell whether
 * another follows. Written into the SQL rather than bound: SQLite's planner
 * reads a bound LIMIT, so it recompiles such a statement on every call
 * (measured: 77 µs against 64 µs for a default page). Page sizes are few
 * (1-500), so the texts stay few too.
 */
function pageLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`a page size is a positive integer (got ${limit})`);
  return limit + 1;
}

/** Newest first. Each filter is an equality on an indexed column, so a page is a range scan. */
async function pageOf<Row extends { seq: number }>(tx: Tx, tenantId: string, query: ListQuery, columns: string): Promise<{ rows: Row[]; next_cursor: string | null }> {
  const where = ["tenant_id = ?"];
  const params: unknown[] = [tenantId];
  const filters: [column: string, value: unknown][] = [
    ["status", query.status],
    ["user_id", query.user_id],
    ["channel", query.channel],
    ["flagged", query.flagged === undefined ? undefined : query.flagged ? 1 : 0],
  ];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (query.cursor !== undefined) {
    where.push("seq < ?");
    params.push(decodeCursor(query.cursor));
  }
  const rows = await tx.all<Row>(`SELECT ${columns} FROM interventions WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ${pageLimit(query.limit)}`, params);
  const hasMore = rows.length > query.limit;
  const page = hasMore ? rows.slice(0, query.limit) : rows;
  return { rows: page, next_cursor: hasMore ? encodeCursor(page[page.length - 1]!.seq) : null };
}

export async function listRows(tx: Tx, tenantId: string, query: ListQuery): Promise<ListPage> {
  const { rows, next_cursor } = await pageOf<InterventionRow>(tx, tenantId, query, "*");
  return { interventions: rows.map(toIntervention), next_cursor };
}

/**
 * Only the compact columns, with the preview stored when the body was written:
 * reading every column of a page (JSON checks, reasoning) costs about three
 * times as much. Rows older than the preview column give the start of their
 * body instead, previewed here.
 */
const PREVIEW_SOURCE_CHARS = PREVIEW_CHARS * 4;
const COMPACT_COLUMNS = `seq, id, user_id, playbook_id, status, channel, flagged, flag_reason, review_flag_reason, planned_at, preview,
  CASE WHEN preview IS NULL THEN substr(message_body, 1, ${PREVIEW_SOURCE_CHARS}) END AS message_body,
  CASE WHEN preview IS NULL THEN length(message_body) > ${PREVIEW_SOURCE_CHARS} END AS body_truncated`;

export async function listCompactRows(tx: Tx, tenantId: string, query: ListQuery): Promise<ListPage<CompactIntervention>> {
  type Row = Pick<
    InterventionRow,
    "seq" | "id" | "user_id" | "playbook_id" | "status" | "channel" | "flagged" | "flag_reason" | "review_flag_reason" | "planned_at" | "message_body"
  > & { preview: string | null; message_body: string | null; body_truncated: number | boolean | null };
  const { rows, next_cursor } = await pageOf<Row>(tx, tenantId, query, COMPACT_COLUMNS);
  return {
    interventions: rows.map((row) =>
      compactRow({
        ...row,
        flagged: row.flagged === 1,
        flag_reason: composedFlagReason(row),
        // A comparison is 1/0 in SQLite and true/false in PostgreSQL.
        preview: row.preview ?? preview(row.message_body ?? "", Boolean(row.body_truncated)),
      }),
    ),
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

const INSERT_COLUMNS = [
  "id", "tenant_id", "user_id", "playbook_id", "status", "channel", "subject", "message_body", "reasoning", "confidence", "planned_at",
  "approved_at", "sent_at", "delivered_at", "rolled_back_at", "flagged", "flag_reason", "quality_checks", "reject_reason",
  "rollback_reason", "suppress_reason", "origin", "provenance", "created_at", "preview",
] as const;

export async function insertRow(tx: Tx, row: NewIntervention): Promise<void> {
  const full: Record<string, unknown> = {
    approved_at: null,
    sent_at: null,
    delivered_at: null,
    rolled_back_at: null,
    reject_reason: null,
    rollback_reason: null,
    suppress_reason: null,
    ...row,
    preview: preview(row.message_body),
  };
  await tx.run(
    `INSERT INTO interventions (${INSERT_COLUMNS.join(", ")}, updated_at) VALUES (${INSERT_COLUMNS.map(() => "?").join(", ")}, ?)`,
    [...INSERT_COLUMNS.map((column) => full[column] ?? null), row.created_at],
  );
}
