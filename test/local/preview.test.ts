/**
 * A compact row's preview is written with the body and read back as stored;
 * rows from before the preview column (NULL) are previewed from their body on
 * read, and both give the very same page.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { preview } from "../../src/api/compact.js";
import { ensureSeeded } from "../../src/backend/local/seed.js";
import { openStore, type Store } from "../../src/store/index.js";
import { dbOf } from "../support/sqlite.js";

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-preview-"));
  store = await openStore({ dbPath: join(dir, "store.db") });
  await ensureSeeded(store, "live", 42);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it("stores each body's preview when the row is written, and a legacy row without one reads the same", async () => {
  const db = dbOf(store);
  const long = `Hi Maya,\n\n  ${"plenty   of\twhitespace ".repeat(40)}`;
  const id = db.prepare("SELECT id FROM interventions WHERE tenant_id = 'live' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
  db.prepare("UPDATE interventions SET message_body = ?, preview = ? WHERE id = ?").run(long, preview(long), id);

  const stored = await store.interventions.listCompact("live", { limit: 50 });
  const bodies = new Map(
    (db.prepare("SELECT id, message_body FROM interventions WHERE tenant_id = 'live'").all() as { id: string; message_body: string }[]).map((r) => [r.id, r.message_body]),
  );
  for (const row of stored.interventions) expect(row.preview, row.id).toBe(preview(bodies.get(row.id)!));
  expect(stored.interventions.find((r) => r.id === id)!.preview).toMatch(/^Hi Maya, plenty of whitespace .*…$/);
  expect(db.prepare("SELECT COUNT(*) FROM interventions WHERE preview IS NULL").pluck().get()).toBe(0);

  db.prepare("UPDATE interventions SET preview = NULL").run();
  expect(await store.interventions.listCompact("live", { limit: 50 })).toEqual(stored);
});
