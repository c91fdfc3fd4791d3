/**
 * The package people install: `npm pack`, install the tarball into a
 * temporary prefix, and use what npm put on its bin path: `--version`, an
 * MCP handshake, a pending approval that names the short command, and
 * `approvals list`.
 *
 * Offline, like every test: the install is `npm ci --offline` from a lockfile
 * that holds the tarball and exactly the production dependencies of this
 * clone's lockfile (their tarballs are in npm's cache since this clone's own
 * `npm ci`). A runtime import of a devDependency therefore fails here. Install
 * scripts are skipped and better-sqlite3's native binary is the one this
 * clone's `npm ci` compiled for this very Node: compiling it again would take
 * minutes and prove nothing about our package.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string> };
const dir = mkdtempSync(join(tmpdir(), "retivo-pack-"));
const prefix = join(dir, "prefix");
const bin = join(prefix, "node_modules", ".bin", "retivo-mcp");

interface PackedFile {
  path: string;
}
let packed: PackedFile[] = [];

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** npm through the Node running the tests: no dependence on which npm is first on PATH. */
const npmCli = join(realpathSync(process.execPath), "..", "..", "lib", "node_modules", "npm", "bin", "npm-cli.js");
const npm = (args: string[], cwd: string) => run(process.execPath, [existsSync(npmCli) ? npmCli : "npm", ...args, "--no-audit", "--no-fund"], { cwd });

/**
 * npm may write lockfiles without `resolved` (omit-lockfile-registry-resolved,
 * set on some machines), and then resolves each package through its registry
 * metadata, which an offline install cannot fetch. The tarball's address is
 * the registry's fixed pattern, and npm's cache finds the tarball by integrity.
 */
function withTarballUrl(path: string, entry: { dev?: boolean; resolved?: string; link?: boolean; version?: string; name?: string }) {
  if (entry.resolved || entry.link || !entry.version) return entry;
  const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  return { ...entry, resolved: `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz` };
}

/** The lockfile of a project that depends on the tarball alone, from this clone's own lockfile. */
function lockfileFor(tarball: string): string {
  const clone = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; resolved?: string; link?: boolean; version?: string; name?: string }> };
  const production = Object.entries(clone.packages)
    .filter(([path, entry]) => path.startsWith("node_modules/") && !entry.dev)
    .map(([path, entry]) => [path, withTarballUrl(path, entry)] as const);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(join(dir, tarball))).digest("base64")}`;
  const self = clone.packages[""] as Record<string, unknown>;
  return JSON.stringify({
    name: "retivo-pack-check",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "retivo-pack-check", dependencies: { [pkg.name]: `file:../${tarball}` } },
      [`node_modules/${pkg.name}`]: {
        version: pkg.version,
        resolved: `file:../${tarball}`,
        integrity,
        license: self.license,
        dependencies: self.dependencies,
        bin: self.bin,
        engines: self.engines,
      },
      ...Object.fromEntries(production),
    },
  });
}

beforeAll(async () => {
  const pack = await npm(["pack", "--json", "--pack-destination", dir], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const [report] = JSON.parse(pack.stdout) as [{ filename: string; files: PackedFile[] }];
  packed = report.files;
  mkdirSync(prefix);
  writeFileSync(join(prefix, "package.json"), JSON.stringify({ name: "retivo-pack-check", private: true, dependencies: { [pkg.name]: `file:../${report.filename}` } }));
  writeFileSync(join(prefix, "package-lock.json"), lockfileFor(report.filename));
  const install = await npm(["ci", "--offline", "--ignore-scripts"], prefix);
  if (install.code !== 0) throw new Error(`npm ci --offline of the tarball failed (run npm ci in the clone first, which fills npm's cache):\n${install.stderr}`);
  const native = join("better-sqlite3", "build", "Release", "better_sqlite3.node");
  mkdirSync(join(prefix, "node_modules", "better-sqlite3", "build", "Release"), { recursive: true });
  copyFileSync(join(ROOT, "node_modules", native), join(prefix, "node_modules", native));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const envIn = (name: string) => {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  return { PATH: `${join(prefix, "node_modules", ".bin")}:${process.env.PATH ?? ""}`, HOME: home, RETIVO_DB: join(home, "retivo.db"), RETIVO_DATA_DIR: home, RETIVO_LLM: "template", LOG_LEVEL: "error" };
};

describe("the npm package", () => {
  it("ships the build, the prompts, the license and the README, without source maps or sources", () => {
    const paths = packed.map((f) => f.path);
    for (const needed of ["package.json", "README.md", "LICENSE", "dist/cli.js", "dist/cli-demo.js", "prompts/system.md"]) expect(paths).toContain(needed);
    expect(paths.filter((p) => p.endsWith(".map"))).toEqual([]);
    expect(paths.filter((p) => /^(src|test|bench|docs)\//.test(p) || p.endsWith(".ts"))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(prefix, "node_modules", pkg.name, "package.json"), "utf8")) as Record<string, unknown>;
    const registry = JSON.parse(readFileSync(join(ROOT, "server.json"), "utf8")) as { name: string };
    expect(manifest.mcpName).toBe(registry.name);
    expect(manifest.repository).toMatchObject({ type: "git", url: expect.stringMatching(/^git\+https:\/\//) });
  });

  it("answers --version from the installed bin", async () => {
    const version = await run(bin, ["--version"], { cwd: dir, env: envIn("version") });
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it("speaks MCP from the installed bin, and a pending approval names the short command, which works", { timeout: 60_000 }, async () => {
    const env = envIn("mcp");
    const transport = new StdioClientTransport({ command: bin, args: ["serve"], env, stderr: "pipe" });
    const client = new Client({ name: "pack-check", version: "1.0.0" });
    let approvalId = "";
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: "retivo-mcp", version: pkg.version });
      const planned = (await client.callTool({ name: "list_interventions", arguments: { status: "planned", flagged: false, limit: 1 } })).structuredContent as {
        interventions: { id: string }[];
      };
      // This client cannot show a form, so the server hands the human a command to run.
      const result = await client.callTool({ name: "approve_intervention", arguments: { intervention_id: planned.interventions[0]!.id } });
      const approval = (result.structuredContent as { approval: { approval_id: string; instructions: string } }).approval;
      approvalId = approval.approval_id;
      expect(approval.instructions).toContain(`\`retivo-mcp approvals approve ${approvalId} --db ${env.RETIVO_DB}\``);
    } finally {
      await client.close();
    }
    const listed = await run(bin, ["approvals", "list", "--db", env.RETIVO_DB], { cwd: dir, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(approvalId);
  });
});
