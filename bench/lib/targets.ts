/**
 * Disjoint pools of intervention ids for the write tools, read straight from
 * the store before the servers start: every timed write is a real transition
 * on a row no other call touches.
 */
import Database from "better-sqlite3";

export interface Targets {
  take(status: "planned" | "delivered", n: number): string[];
  userId: string;
  /** An active playbook and a channel it allows, for create. */
  create: { user_id: string; playbook_id: string; channel: string };
}

export function targetsFor(dbPath: string, tenantId: string): Targets {
  const db = new Database(dbPath, { readonly: true });
  try {
    const pools = {
      planned: db
        .prepare("SELECT id FROM interventions WHERE tenant_id = ? AND status = 'planned' AND flagged = 0 AND id LIKE 'int_p%' ORDER BY seq")
        .pluck()
        .all(tenantId) as string[],
      delivered: db
        .prepare("SELECT id FROM interventions WHERE tenant_id = ? AND status = 'delivered' AND id LIKE 'int_d%' ORDER BY seq")
        .pluck()
        .all(tenantId) as string[],
    };
    const playbook = (db.prepare("SELECT id, constraints FROM playbooks WHERE tenant_id = ? AND status = 'active'").all(tenantId) as {
      id: string;
      constraints: string;
    }[]).find((p) => (JSON.parse(p.constraints) as { channels?: string[] }).channels?.length);
    if (!playbook) throw new Error(`tenant ${tenantId} has no active playbook`);
    const channel = (JSON.parse(playbook.constraints) as { channels: string[] }).channels[0]!;
    const userId = db.prepare("SELECT id FROM customers WHERE tenant_id = ? AND opted_out = 0 AND paused = 0 ORDER BY id LIMIT 1").pluck().get(tenantId) as string;
    return {
      take(status, n) {
        const pool = pools[status];
        if (pool.length < n) throw new Error(`only ${pool.length} ${status} targets left in ${tenantId}, need ${n}`);
        return pool.splice(0, n);
      },
      userId,
      create: { user_id: userId, playbook_id: playbook.id, channel },
    };
  } finally {
    db.close();
  }
}
