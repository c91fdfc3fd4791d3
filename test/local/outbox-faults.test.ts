/**
 * An outbox folder that cannot be written is the operator's to fix, so it is
 * reported when the dispatcher starts (one line naming the folder), and an
 * approved email is retried with backoff rather than failed on the first
 * write: fixed during the backoff, the email goes out.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Dispatcher } from "../../src/backend/local/dispatch.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf, type SqliteDb as Db } from "../support/sqlite.js";
import { createLogger } from "../../src/log.js";
import { dueIntervention } from "./support/due.js";

let dir: string;
let store: Store;
let db: Db;
let logs: string;
const logger = () =>
  createLogger(
    "info",
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString();
        done();
      },
    }),
  );

beforeEach(async () => {
  logs = "";
  dir = mkdtempSync(join(tmpdir(), "retivo-outbox-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  db = dbOf(store);
  await ensureSeeded(store, "live", 42);
  db.prepare("UPDATE tenants SET kill_switch_active = 0, shadow_mode = 0 WHERE id = 'live'").run();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const dueEmail = () => dueIntervention(db, "email");

/** A path whose parent is a regular file: no one can create the folder, root included. */
function blockedOutbox(): { outbox: string; unblock(): void } {
  const blocker = join(dir, "not-a-folder");
  writeFileSync(blocker, "");
  return { outbox: join(blocker, "outbox"), unblock: () => rmSync(blocker) };
}

const outcomes = (id: string) => db.prepare("SELECT outcome FROM deliveries WHERE intervention_id = ? ORDER BY id").pluck().all(id) as string[];
const status = (id: string) => db.prepare("SELECT status FROM interventions WHERE id = ?").pluck().get(id);

describe("an outbox that cannot be written", () => {
  it("is reported at start in one line naming the folder", async () => {
    const { outbox } = blockedOutbox();
    const dispatcher = new Dispatcher({ store, logger: logger(), outboxDir: outbox, tenants: ["live"], intervalMs: 60_000 });
    dispatcher.start();
    await dispatcher.stop();
    const line = logs.split("\n").find((l) => l.includes("cannot be written"));
    expect(line, logs).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 50, msg: expect.stringContaining(`The outbox folder ${outbox} cannot be written (ENOTDIR`) });
  });

  it("retries an approved email with backoff; fixed meanwhile, the email is written", async () => {
    const { outbox, unblock } = blockedOutbox();
    const id = dueEmail();
    const dispatcher = new Dispatcher({ store, logger: logger(), outboxDir: outbox, tenants: ["live"], emailRetryDelaysMs: [300, 300] });
    const run = dispatcher.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outcomes(id)).toEqual(["retrying"]);
    unblock();
    await run;
    expect(status(id)).toBe("delivered");
    expect(outcomes(id)).toEqual(["retrying", "outbox"]);
    expect(existsSync(join(outbox, `${id}.eml`))).toBe(true);
  });

  it("fails the email only after the last attempt", async () => {
    const { outbox } = blockedOutbox();
    const id = dueEmail();
    await new Dispatcher({ store, logger: logger(), outboxDir: outbox, tenants: ["live"], emailRetryDelaysMs: [10, 10] }).runOnce();
    expect(status(id)).toBe("failed");
    expect(outcomes(id)).toEqual(["retrying", "retrying", "error"]);
    expect((await store.deliveries.of(id)).at(-1)!.detail).toMatch(/could not write to the outbox: ENOTDIR/);
  });
});
