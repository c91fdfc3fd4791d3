/**
 * A second (or third) process appending to the audit log of one SQLite file,
 * as the CLI does beside a running server. Usage:
 *   node --import tsx audit-appender.ts <db path> <label> <count> <start at, epoch ms>
 * Waits until the start time so every process appends at once, then appends
 * `count` events outside any transaction (as guard refusals and sweeps do).
 */
import { appendAudit } from "../../../src/backend/local/audit.js";
import { openStore } from "../../../src/backend/local/store.js";

const [path, label, count, startAt] = process.argv.slice(2);
const db = openStore(path!);
while (Date.now() < Number(startAt)) {
  // Spin: a timer would start the processes less at the same moment.
}
for (let i = 0; i < Number(count); i++) {
  appendAudit(db, { tenant_id: "live", event: "approval_refused", actor: `system:${label}`, detail: { i } });
}
db.close();
