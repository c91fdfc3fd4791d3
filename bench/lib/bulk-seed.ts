/**
 * Fills a store with many interventions fast: one transaction, one prepared
 * statement, rows that satisfy every CHECK and foreign key and whose
 * timestamps agree with their status (approved_at set iff it was approved …).
 * The store must already hold the tenant's customers and playbooks (the demo
 * seed); rows reference them round-robin.
 */
import Database from "better-sqlite3";
import { preview } from "../../src/api/compact.js";

type Status = "planned" | "approved" | "paused" | "rejected" | "sent" | "delivered" | "failed" | "suppressed" | "rolled_back";
const CHANNELS = ["email", "in_app", "webhook"] as const;

/** Roughly what a store that has run for a while looks like: most messages went out. */
export const HISTORY_MIX: Readonly<Partial<Record<Status, number>>> = {
  delivered: 62,
  planned: 8,
  approved: 2,
  paused: 3,
  rejected: 8,
  sent: 1,
  failed: 3,
  suppressed: 10,
  rolled_back: 3,
};

export interface BulkSeedOptions {
  tenantId: string;
  count: number;
  mix: Readonly<Partial<Record<Status, number>>>;
  /** Distinguishes the ids of one batch from another's. */
  batch: string;
  /** Planned rows dated in the future stay put: the dispatcher will not send them during a bench. */
  futurePlanned?: boolean;
}

const WORDS = "your team has not opened the weekly report since the last release so here is a short tour of what changed and two ideas to try".split(" ");

function body(n: number): string {
  const words: string[] = [];
  for (let i = 0; i < 24; i++) words.push(WORDS[(n * 7 + i * 13) % WORDS.length]!);
  return `Hi there, ${words.join(" ")}.`;
}

function statusPicker(mix: BulkSeedOptions["mix"]): (n: number) => Status {
  const slots: Status[] = [];
  for (const [status, weight] of Object.entries(mix)) for (let i = 0; i < (weight ?? 0); i++) slots.push(status as Status);
  if (slots.length === 0) throw new Error("empty status mix");
  // A multiplicative stride spreads statuses evenly along seq instead of in blocks.
  return (n) => slots[(n * 7919) % slots.length]!;
}

export function bulkSeed(dbPath: string, options: BulkSeedOptions): number {
  const db = new Database(dbPath);
  try {
    db.pragma("busy_timeout = 10000");
    // A bench fixture: durability is not what is measured, and writing every
    // page once (no WAL copy) makes a million rows an IO-light job.
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -400000");
    // Only users who may be messaged: the write tools' pools must be approvable (approve refuses a paused or opted-out user).
    const users = db.prepare("SELECT id FROM customers WHERE tenant_id = ? AND opted_out = 0 AND paused = 0 ORDER BY id").pluck().all(options.tenantId) as string[];
    const playbooks = db.prepare("SELECT id FROM playbooks WHERE tenant_id = ? ORDER BY id").pluck().all(options.tenantId) as string[];
    if (users.length === 0 || playbooks.length === 0) throw new Error(`tenant ${options.tenantId} has no customers or playbooks to reference`);
    const insert = db.prepare(
      `INSERT INTO interventions (id, tenant_id, user_id, playbook_id, status, channel, subject, message_body, reasoning,
         confidence, planned_at, approved_at, sent_at, delivered_at, rolled_back_at, flagged, flag_reason, quality_checks,
         reject_reason, rollback_reason, suppress_reason, origin, provenance, version, created_at, updated_at, preview)
       VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, 'playbook', NULL, ?, ?, ?, ?)`,
    );
    const pick = statusPicker(options.mix);
    const base = Date.now() - 400 * 24 * 3600 * 1000;
    const future = Date.now() + 30 * 24 * 3600 * 1000;
    // Building the secondary indexes once after the insert (a sort) is several
    // times faster than updating six B-trees per row; they are recreated verbatim.
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interventions' AND sql IS NOT NULL")
      .all() as { name: string; sql: string }[];
    db.transaction(() => {
      for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
      for (let n = 0; n < options.count; n++) {
        const status = pick(n);
        const t = base + n * 1000;
        const at = (offsetMs: number) => new Date(t + offsetMs).toISOString();
        const wasApproved = ["approved", "sent", "delivered", "failed", "suppressed", "rolled_back"].includes(status);
        const wasSent = ["sent", "delivered", "failed", "rolled_back"].includes(status);
        const flagged = n % 23 === 0 ? 1 : 0;
        insert.run(
          `int_${options.batch}${n.toString(36).padStart(20 - options.batch.length, "0")}`,
          options.tenantId,
          users[n % users.length],
          playbooks[n % playbooks.length],
          status,
          CHANNELS[n % CHANNELS.length],
          body(n),
          "Activation dropped 40% in two weeks; the playbook's entry conditions match.",
          0.5 + (n % 50) / 100,
          status === "planned" && options.futurePlanned ? new Date(future + n).toISOString() : at(0),
          wasApproved ? at(60_000) : null,
          wasSent ? at(120_000) : null,
          status === "delivered" || status === "rolled_back" ? at(125_000) : null,
          status === "rolled_back" ? at(3_600_000) : null,
          flagged,
          flagged ? "bench: flagged for review" : null,
          status === "rejected" ? "bench: not relevant" : null,
          status === "rolled_back" ? "bench: sent by mistake" : null,
          status === "suppressed" ? "opted_out" : null,
          status === "planned" ? 1 : 3,
          at(0),
          at(3_600_000),
          preview(body(n)),
        );
      }
      for (const index of indexes) db.exec(index.sql);
    })();
    return db.prepare("SELECT COUNT(*) FROM interventions").pluck().get() as number;
  } finally {
    db.pragma("journal_mode = WAL");
    db.close();
  }
}
