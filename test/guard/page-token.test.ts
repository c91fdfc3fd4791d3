/**
 * The approval page's link and CSRF tokens on a real SQLite file: the same for
 * one request in every process on the store (so a repeat call never breaks
 * the link the human is opening), different per request and per purpose, and
 * refused when forged, truncated, padded or missing, never an exception.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { csrfTokenFor, isCsrfToken, isPageToken, pageTokenFor } from "../../src/guard/page-token.js";
import { openStore, type Store } from "../../src/store/index.js";
import { tempDir } from "../contract/harness.js";

let dir: ReturnType<typeof tempDir> | undefined;
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  dir?.remove();
  dir = undefined;
});

async function storeOn(path: string): Promise<Store> {
  const store = await openStore({ dbPath: path });
  stores.push(store);
  return store;
}

describe("approval page tokens", () => {
  it("derive from 256 random bits kept in the store's guard settings under a name that survives upgrades", async () => {
    dir = tempDir();
    const store = await storeOn(join(dir.path, "retivo.db"));
    await pageTokenFor(store, "apr_one");
    const key = await store.guardSettings.get("approval_page_key");
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(key!, "base64")).toHaveLength(32);
  });

  it("recover from a store that could not be read once: the failure is not kept", async () => {
    dir = tempDir();
    const store = await storeOn(join(dir.path, "retivo.db"));
    const settle = store.guardSettings.settle.bind(store.guardSettings);
    let failNext = true;
    // A store whose first read of the page key fails (busy), as a real one can.
    const flaky = {
      ...store,
      guardSettings: {
        ...store.guardSettings,
        settle: (...args: Parameters<typeof settle>) => (failNext ? ((failNext = false), Promise.reject(new Error("database is locked"))) : settle(...args)),
      },
    } as Store;
    await expect(pageTokenFor(flaky, "apr_one")).rejects.toThrow(/database is locked/);
    expect(await pageTokenFor(flaky, "apr_one")).toBe(await pageTokenFor(store, "apr_one"));
  });

  it("are the same for one request in two processes on one store, and differ per request and per purpose", async () => {
    dir = tempDir();
    const file = join(dir.path, "retivo.db");
    const [first, second] = [await storeOn(file), await storeOn(file)];
    const link = await pageTokenFor(first, "apr_one");
    expect(link).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await pageTokenFor(second, "apr_one")).toBe(link);
    expect(await pageTokenFor(first, "apr_one")).toBe(link);
    expect(await pageTokenFor(first, "apr_two")).not.toBe(link);
    const csrf = await csrfTokenFor(second, "apr_one");
    expect(await csrfTokenFor(first, "apr_one")).toBe(csrf);
    expect(csrf).not.toBe(link);
    expect(await isPageToken(second, "apr_one", link)).toBe(true);
    expect(await isCsrfToken(first, "apr_one", csrf)).toBe(true);
  });

  it("differ between stores: a link from another store opens nothing here", async () => {
    dir = tempDir();
    const here = await storeOn(join(dir.path, "here.db"));
    const there = await storeOn(join(dir.path, "there.db"));
    expect(await isPageToken(here, "apr_one", await pageTokenFor(there, "apr_one"))).toBe(false);
  });

  it("refuse another request's token, the other purpose's, a cut or padded one and none at all", async () => {
    dir = tempDir();
    const store = await storeOn(join(dir.path, "retivo.db"));
    const link = await pageTokenFor(store, "apr_one");
    const csrf = await csrfTokenFor(store, "apr_one");
    for (const wrong of [await pageTokenFor(store, "apr_two"), csrf, link.slice(0, -1), `${link}A`, "", null, undefined]) {
      expect(await isPageToken(store, "apr_one", wrong), String(wrong)).toBe(false);
    }
    for (const wrong of [await csrfTokenFor(store, "apr_two"), link, csrf.slice(1), `${csrf}=`, "", null, undefined]) {
      expect(await isCsrfToken(store, "apr_one", wrong), String(wrong)).toBe(false);
    }
  });
});
