/**
 * The Claude Desktop extension: manifest.json passes the official mcpb CLI's
 * validation, agrees with the package and the server's configuration, and
 * `npm run bundle` (scripts/bundle.mjs) packs a .mcpb that, unpacked the way
 * the host does, starts from its own files and answers MCP with the user's
 * settings substituted as the host substitutes them.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig, TOOL_NAMES } from "../../src/config.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MCPB = join(ROOT, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "retivo-mcpb-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Manifest {
  name: string;
  version: string;
  server: { type: string; entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  user_config: Record<string, { type: string; sensitive?: boolean; required?: boolean }>;
  tools: { name: string }[];
  compatibility: { platforms: string[]; runtimes: { node: string } };
}
const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as Manifest;
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; bin: Record<string, string> };

function node(args: string[], timeout = 120_000): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout, maxBuffer: 32 << 20 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** `${user_config.x}` and `${__dirname}` replaced as the host replaces them (a blank field becomes ""). */
function substitute(value: string, bundleDir: string, settings: Record<string, string>): string {
  return value.replace(/\$\{__dirname\}/g, bundleDir).replace(/\$\{user_config\.(\w+)\}/g, (_, key: string) => settings[key] ?? "");
}

describe("manifest.json (MCP Bundle)", () => {
  it("passes the official mcpb CLI's validation, which refuses a broken copy", async () => {
    const valid = await node([MCPB, "validate", join(ROOT, "manifest.json")]);
    expect(valid.code, valid.output).toBe(0);
    expect(valid.output).toContain("Manifest schema validation passes!");
    const broken = join(dir, "broken.json");
    writeFileSync(broken, JSON.stringify({ ...manifest, server: { ...manifest.server, type: "ruby" } }));
    expect((await node([MCPB, "validate", broken])).code).not.toBe(0);
  });

  it("is this package, its nine tools and its entry point", () => {
    expect(manifest).toMatchObject({ name: pkg.name, version: pkg.version });
    expect(manifest.tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    expect(manifest.server).toMatchObject({ type: "node", entry_point: pkg.bin["retivo-mcp"], mcp_config: { command: "node", args: ["${__dirname}/dist/cli.js", "serve"] } });
  });

  it("asks the user for the API key (kept secret) and the store, and hands them to the server as it reads them", () => {
    expect(manifest.user_config.api_key).toMatchObject({ type: "string", sensitive: true, required: false });
    expect(manifest.user_config.store).toMatchObject({ type: "directory", required: false });
    const env = (settings: Record<string, string>) => Object.fromEntries(Object.entries(manifest.server.mcp_config.env).map(([k, v]) => [k, substitute(v, "/b", settings)]));
    const withKey = parseConfig(["serve"], { HOME: "/home/me", ...env({ api_key: "rt_test_from_the_form", store: "/srv/retivo" }) });
    expect(withKey.backend).toMatchObject({ kind: "api", apiKey: "rt_test_from_the_form" });
    expect(withKey.dbPath).toBe(join("/srv/retivo", "retivo.db"));
    // Both fields left blank: the local store in the default data folder.
    const blank = parseConfig(["serve"], { HOME: "/home/me", ...env({}) });
    expect(blank.backend.kind).toBe("local");
    expect(blank.dbPath).toBe(parseConfig(["serve"], { HOME: "/home/me" }).dbPath);
  });
});

describe("npm run bundle", () => {
  it("packs a .mcpb that validates, runs from its own files, and serves MCP with the user's settings", { timeout: 180_000 }, async () => {
    const bundle = join(dir, "retivo.mcpb");
    const packed = await node([join(ROOT, "scripts", "bundle.mjs"), "--out", bundle]);
    expect(packed.code, packed.output).toBe(0);
    expect(packed.output).toContain(`wrote ${bundle}`);

    const unpacked = join(dir, "unpacked");
    const unpack = await node([MCPB, "unpack", bundle, unpacked]);
    expect(unpack.code, unpack.output).toBe(0);
    expect((await node([MCPB, "validate", join(unpacked, "manifest.json")])).code).toBe(0);
    const staged = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as Manifest;
    // The native binary inside fits this platform and Node major only, and the bundle says so.
    expect(staged.compatibility.platforms).toEqual([process.platform]);
    expect(staged.compatibility.runtimes.node).toBe(`>=${process.versions.node.split(".")[0]}.0.0 <${Number(process.versions.node.split(".")[0]) + 1}.0.0`);
    expect(existsSync(join(unpacked, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"))).toBe(true);
    expect(existsSync(join(unpacked, "node_modules", "vitest"))).toBe(false);

    const store = join(dir, "store");
    mkdirSync(store);
    const { args, env } = staged.server.mcp_config;
    const settings = { api_key: "", store };
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: args.map((a) => substitute(a, unpacked, settings)),
      env: { HOME: dir, RETIVO_LLM: "template", LOG_LEVEL: "error", ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, substitute(v, unpacked, settings)])) },
      // Outside the clone, so nothing resolves into this clone's node_modules.
      cwd: dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "mcpb-check", version: "1.0.0" });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: "retivo-mcp", version: pkg.version });
      expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
      const page = await client.callTool({ name: "list_interventions", arguments: { limit: 2 } });
      expect(page.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(existsSync(join(store, "retivo.db"))).toBe(true);
  });
});
