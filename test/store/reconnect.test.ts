/**
 * A PostgreSQL server that goes away and comes back: while it is down, calls
 * fail with the one-line store fault naming the database (never a hang, never
 * a crash from a dropped idle connection), and once it is back the same store
 * works again without a restart. PGlite over a socket stands for the server:
 * its socket server going down drops every connection as a restart does.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/errors.js";
import type { Store } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/index.js";
import { startPglite, type PgliteTarget } from "./support/postgres.js";

let database: PgliteTarget;
let store: Store;

beforeAll(async () => {
  database = await startPglite();
  store = await openPostgresStore(database.url, { poolSize: 4, statementTimeoutMs: 10_000 });
}, 120_000);
afterAll(async () => {
  await store?.close();
  await database?.close();
});

it("fails calls clearly while the server is down and recovers when it is back", async () => {
  // Idle pooled connections exist when the server goes.
  await Promise.all(Array.from({ length: 4 }, (_, i) => store.audit.append({ tenant_id: "t", event: "before", actor: "test", detail: { i } })));
  const comeBack = await database.goDown();

  const during = await Promise.allSettled([store.ping(), store.audit.append({ tenant_id: "t", event: "during", actor: "test" }), store.audit.verify()]);
  for (const outcome of during) {
    expect(outcome.status).toBe("rejected");
    const error = (outcome as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(database.url.replace(/\/postgres$/, ""));
    expect(error.message.split("\n")).toHaveLength(1);
  }

  await comeBack();
  await store.ping();
  await store.audit.append({ tenant_id: "t", event: "after", actor: "test" });
  expect(await store.audit.verify()).toEqual({ ok: true, rows: 5 });
});
