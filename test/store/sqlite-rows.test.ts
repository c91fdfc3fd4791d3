/**
 * The SQLite engine reads rows as arrays and names them itself (one object
 * literal per statement, store/sqlite/engine.ts): every row must come out as
 * the object better-sqlite3 itself would build from the same statement, on a
 * real file, whatever the columns hold or are called.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, sqliteEngineOf, type Store } from "../../src/store/index.js";
import { dbOf } from "../support/sqlite.js";

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-rows-"));
  store = await openStore({ dbPath: join(dir, "retivo.db") });
  dbOf(store).exec(`
    CREATE TABLE shapes (n INTEGER, r REAL, t TEXT, b BLOB, "odd name" TEXT, "quote""d" TEXT);
    INSERT INTO shapes VALUES (1, 1.5, 'one', x'00ff', 'spaced', 'quoted'), (NULL, NULL, NULL, NULL, NULL, NULL), (9007199254740991, -0.25, 'ünï ✓', x'', '', '"');
  `);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const QUERIES = [
  "SELECT * FROM shapes ORDER BY rowid",
  "SELECT n AS value, t AS value FROM shapes ORDER BY rowid",
  `SELECT "odd name", "quote""d", n + 1 AS next, length(t) FROM shapes ORDER BY rowid`,
  "SELECT * FROM shapes WHERE n = ?",
  "SELECT 'constructor' AS constructor, 'toString' AS toString, 1 AS \"0\", 2 AS \"1\"",
];

describe("rows read through the SQLite engine", () => {
  it("are the objects better-sqlite3 builds, for all and get, every column type and name", async () => {
    const engine = sqliteEngineOf(store)!;
    for (const sql of QUERIES) {
      const params = sql.includes("?") ? [1] : [];
      const expected = dbOf(store).prepare(sql).all(...params);
      // Twice: the first call compiles the statement, the second reuses it.
      for (let i = 0; i < 2; i++) {
        expect(await engine.read((tx) => tx.all(sql, params)), sql).toEqual(expected);
        expect(await engine.read((tx) => tx.get(sql, params)), sql).toEqual(expected[0]);
      }
    }
    expect(await engine.read((tx) => tx.get("SELECT * FROM shapes WHERE n = ?", [42]))).toBeUndefined();
  });

  it("keep a statement that returns no rows usable for run, and refused for all", async () => {
    const engine = sqliteEngineOf(store)!;
    expect(await engine.write((tx) => tx.run("UPDATE shapes SET t = t WHERE n = ?", [1]))).toEqual({ changes: 1 });
    await expect(engine.read((tx) => tx.all("UPDATE shapes SET t = t WHERE n = ?", [1]))).rejects.toThrow(/does not return data/);
  });
});
