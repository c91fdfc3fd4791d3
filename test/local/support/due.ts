/**
 * Staging for dispatcher tests: one seeded approved intervention made due on
 * a channel, to a reachable user, with every other approved row held back so
 * that a dispatcher run touches only it.
 */
import type { Channel } from "../../../src/api/schemas.js";
import type { SqliteDb as Db } from "../../support/sqlite.js";

export function dueIntervention(db: Db, channel: Channel): string {
  const id = db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' AND status = 'approved' LIMIT 1").pluck().get() as string;
  db.prepare("UPDATE interventions SET status = 'paused' WHERE tenant_id = 'live' AND status = 'approved' AND id != ?").run(id);
  db.prepare("UPDATE interventions SET channel = ?, planned_at = ? WHERE id = ?").run(channel, new Date(Date.now() - 60_000).toISOString(), id);
  db.prepare("UPDATE customers SET opted_out = 0, paused = 0 WHERE tenant_id = 'live' AND id = (SELECT user_id FROM interventions WHERE id = ?)").run(id);
  return id;
}
