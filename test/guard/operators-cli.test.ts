/**
 * `retivo-mcp operators` in the built CLI on a real pseudo-terminal: the
 * first operator is added freely (no one to vouch yet), every later change
 * needs an existing operator's passphrase, a passphrase change needs the
 * operator's current one, secrets are never echoed and never taken from a
 * pipe, and each change is audited.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { cliEnv, requireBuiltCli, runCliInPty, runCliPiped } from "./helpers.js";

let dir: string | undefined;
beforeAll(requireBuiltCli);
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const ALICE = "alice correct horse";
const BOB = "bob battery staple";
const BOB_NEW = "bob second passphrase";

it("adds, lists, re-keys and removes operators, each change vouched for and audited", async () => {
  dir = mkdtempSync(join(tmpdir(), "retivo-operators-"));
  const env = cliEnv(dir);
  expect((await runCliPiped(["operators", "list"], env)).stdout).toMatch(/No operators: one anonymous human decides every request/);

  const alice = await runCliInPty("operators add alice --principal local", env, [
    { expect: /New passphrase for alice \(at least 12 characters\): $/, send: `${ALICE}\r` },
    { expect: /Repeat it: $/, send: `${ALICE}\r` },
  ]);
  expect(alice.output).toContain("Operator alice added.");
  expect(alice.output).not.toContain(ALICE);
  expect(alice.code).toBe(0);

  const piped = await runCliPiped(["operators", "add", "mallory"], env, `${ALICE}\n`);
  expect(piped.code).toBe(2);
  expect(piped.stderr).toContain("needs an interactive terminal");

  const forged = await runCliInPty("operators add eve", env, [
    { expect: /an existing operator's name: $/, send: "alice\r" },
    { expect: /Their passphrase: $/, send: "not alice at all\r" },
  ]);
  expect(forged.code).toBe(1);
  expect(forged.output).toContain("Wrong operator or passphrase; nothing changed.");

  const bob = await runCliInPty("operators add bob", env, [
    { expect: /To add bob, an existing operator's name: $/, send: "alice\r" },
    { expect: /Their passphrase: $/, send: `${ALICE}\r` },
    { expect: /New passphrase for bob .*: $/, send: `${BOB}\r` },
    { expect: /Repeat it: $/, send: `${BOB}\r` },
  ]);
  expect(bob.code).toBe(0);

  const badName = await runCliPiped(["operators", "add", "Bob!"], env);
  expect(badName.code).toBe(2);
  expect(badName.stderr).toContain("is not a valid operator name");

  const listed = (await runCliPiped(["operators", "list"], env)).stdout;
  expect(listed).toMatch(/alice\s+set\s+local/);
  expect(listed).toMatch(/bob\s+set\s+-/);
  expect(listed).not.toMatch(/eve|mallory/);

  const wrongCurrent = await runCliInPty("operators passphrase bob", env, [{ expect: /Current passphrase of bob: $/, send: `${ALICE}\r` }]);
  expect(wrongCurrent.code).toBe(1);
  const rekeyed = await runCliInPty("operators passphrase bob", env, [
    { expect: /Current passphrase of bob: $/, send: `${BOB}\r` },
    { expect: /New passphrase for bob .*: $/, send: `${BOB_NEW}\r` },
    { expect: /Repeat it: $/, send: `${BOB_NEW}\r` },
  ]);
  expect(rekeyed.output).toContain("Passphrase of bob changed.");

  const removed = await runCliInPty("operators remove bob", env, [
    { expect: /To remove bob, an existing operator's name: $/, send: "bob\r" },
    { expect: /Their passphrase: $/, send: `${BOB_NEW}\r` },
  ]);
  expect(removed.output).toContain("Operator bob removed");
  expect((await runCliPiped(["operators", "list"], env)).stdout).not.toMatch(/^bob/m);

  const store = await openStore({ dbPath: env.RETIVO_DB! });
  try {
    const events = (await store.audit.recent(50)).map((e) => [e.event, e.actor, (JSON.parse(e.detail) as { operator?: string }).operator]);
    expect(events.filter(([event]) => String(event).startsWith("operator_"))).toEqual([
      ["operator_added", "human:cli", "alice"],
      ["operator_added", "alice", "bob"],
      ["operator_passphrase_set", "bob", "bob"],
      ["operator_removed", "bob", "bob"],
    ]);
  } finally {
    await store.close();
  }
}, 90_000);
