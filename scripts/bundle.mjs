#!/usr/bin/env node
// `npm run bundle`: the Claude Desktop extension (MCP Bundle, .mcpb) of this server. Stages
// manifest.json, the build, the prompts and the production dependencies, then packs them with the
// official mcpb CLI, which validates the manifest first.
//
// The production dependencies are copied from this clone's node_modules (exactly the lockfile's
// non-dev packages), so the bundle needs no network. better-sqlite3 is a native module: its binary
// fits only this machine's platform, CPU and Node major. The staged manifest says so
// (compatibility), and the bundle must be built with the Node major the host runs servers with.
//
//   node scripts/bundle.mjs [--out FILE]    default: retivo-mcp-<version>.mcpb in the clone
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string" } } });
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const out = resolve(values.out ?? join(root, `${pkg.name}-${pkg.version}.mcpb`));
const say = (line) => process.stderr.write(`retivo-mcp bundle: ${line}\n`);

function run(args, what) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", 2, 2] });
  if (result.status !== 0) {
    say(`${what} failed`);
    process.exit(result.status ?? 1);
  }
}

/** Package files a running server never reads: types, maps, docs, and better-sqlite3's C sources and build leftovers. */
function runtimeFile(source) {
  const path = relative(join(root, "node_modules"), source).split(sep).join("/");
  if (/\.(d\.[cm]?ts|map|md|markdown)$/i.test(path) && !/(^|\/)LICEN[CS]E/i.test(path)) return false;
  if (/^better-sqlite3\/(deps|src)(\/|$)/.test(path)) return false;
  if (/^better-sqlite3\/build\//.test(path) && statSync(source).isFile() && !/\/Release\/better_sqlite3\.node$/.test(path)) return false;
  return true;
}

run([join(root, "scripts", "build-if-stale.mjs")], "the build");

const stage = mkdtempSync(join(tmpdir(), "retivo-bundle-"));
try {
  // The manifest, narrowed to where the native binary inside runs.
  const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
  const major = Number(process.versions.node.split(".")[0]);
  manifest.compatibility = {
    ...manifest.compatibility,
    platforms: [process.platform],
    runtimes: { ...manifest.compatibility?.runtimes, node: `>=${major}.0.0 <${major + 1}.0.0` },
  };
  writeFileSync(join(stage, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of ["package.json", "LICENSE", "README.md"]) cpSync(join(root, file), join(stage, file));
  cpSync(join(root, "prompts"), join(stage, "prompts"), { recursive: true });
  cpSync(join(root, "dist"), join(stage, "dist"), { recursive: true, filter: (source) => statSync(source).isDirectory() || source.endsWith(".js") });

  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const production = Object.entries(lock.packages).filter(([path, entry]) => path.startsWith("node_modules/") && !entry.dev);
  for (const [path] of production) {
    // Optional packages for other platforms are absent here, and not needed.
    if (!existsSync(join(root, path))) continue;
    cpSync(join(root, path), join(stage, path), { recursive: true, filter: runtimeFile });
  }
  if (!existsSync(join(stage, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"))) {
    say("better-sqlite3 has no compiled binary in node_modules: run npm ci first");
    process.exit(1);
  }
  mkdirSync(dirname(out), { recursive: true });
  run([join(root, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js"), "pack", stage, out], "mcpb pack");
  say(`wrote ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB) for ${process.platform}-${process.arch}, Node ${major}.x`);
  say("install it by opening the file with Claude Desktop (Settings > Extensions shows it afterwards)");
} finally {
  rmSync(stage, { recursive: true, force: true });
}
