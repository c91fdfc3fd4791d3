/**
 * server.json, the MCP registry manifest, validates against the registry's
 * server schema (registry-server.schema.json beside this file: our own
 * statement of its rules, so the check runs offline) and agrees with
 * package.json, as the registry checks when it fetches the npm package.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8")) as Record<string, unknown>;
const manifest = read("server.json");
const pkg = read("package.json");

// strictRequired off: the mcpb rule names, in its `then`, a property defined beside it.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(join(import.meta.dirname, "registry-server.schema.json"), "utf8")) as object);
const problems = (document: unknown) => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

describe("server.json", () => {
  it("validates against the registry's server schema", () => {
    expect(problems(manifest)).toEqual([]);
  });

  it.each([
    ["a description over 100 characters", { description: "x".repeat(101) }],
    ["a name with two slashes", { name: "io.github.retivo/retivo/mcp" }],
    ["a version range", { version: "^0.1.0" }],
    ["a package at 'latest'", { packages: [{ ...(manifest.packages as object[])[0], version: "latest" }] }],
    ["an unknown field", { homepage: "https://example.org" }],
  ])("the schema refuses %s", (_case, change) => {
    expect(problems({ ...manifest, ...change }).length).toBeGreaterThan(0);
  });

  it("names the npm package by the mcpName it carries, at its version", () => {
    expect(pkg.mcpName).toBe(manifest.name);
    expect(manifest.version).toBe(pkg.version);
    expect((manifest.packages as { identifier: string; version: string }[])[0]).toMatchObject({ identifier: pkg.name, version: pkg.version });
    expect((manifest.repository as { url: string }).url).toBe((pkg.repository as { url: string }).url.replace(/^git\+/, "").replace(/\.git$/, ""));
  });
});
