/**
 * A second (or third) process appending to the audit log of one store, as
 * the CLI does beside a running server. Usage:
 *   node --import tsx audit-appender.ts <db path or postgres:// URL> <label> <count> <start at, epoch ms>
 * Waits until the start time so every process appends at once, then appends
 * `count` events, each its own transaction (as guard refusals and sweeps do).
 */
import { openStore } from "../../../src/store/index.js";

const [where, label, count, startAt] = process.argv.slice(2);
const store = await openStore(where!.startsWith("postgres") ? { dbPath: ":memory:", databaseUrl: where! } : { dbPath: where! });
while (Date.now() < Number(startAt)) {
  // Spin: a timer would start the processes less at the same moment.
}
for (let i = 0; i < Number(count); i++) {
  await store.audit.append({ tenant_id: "live", event: "approval_refused", actor: `system:${label}`, detail: { i } });
}
await store.close();
