#!/usr/bin/env node
// Runs before `npm start`, `npm run demo` and `npm run bench`: compiles src/ into dist/ only when
// dist/ is missing or older than a source, so a start after the first one does not wait for tsc.
// It says what it does on stderr (npm start's stdout is no place for it), and fails like the build.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const output = join(root, "dist", "cli.js");

/** The newest input of the build: every file under src/, and the compiler settings. */
function newestInput() {
  let newest = { path: "", mtimeMs: 0 };
  const visit = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) return readdirSync(path).forEach((name) => visit(join(path, name)));
    if (stat.mtimeMs > newest.mtimeMs) newest = { path, mtimeMs: stat.mtimeMs };
  };
  visit(join(root, "src"));
  for (const file of ["tsconfig.json", "tsconfig.build.json"]) visit(join(root, file));
  return newest;
}

function builtAt() {
  try {
    return statSync(output).mtimeMs;
  } catch {
    return undefined;
  }
}

const built = builtAt();
const input = newestInput();
if (built !== undefined && built >= input.mtimeMs) process.exit(0);

process.stderr.write(
  built === undefined
    ? "retivo-mcp: compiling src/ into dist/ (first run, a few seconds)…\n"
    : `retivo-mcp: ${relative(root, input.path)} changed since the last build; compiling src/ into dist/…\n`,
);
// Through npm when npm started us (npm_execpath), so the build is exactly `npm run build`.
const npm = process.env.npm_execpath;
const run = npm
  ? spawnSync(process.execPath, [npm, "run", "--silent", "build"], { cwd: root, stdio: ["ignore", 2, 2] })
  : spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", 2, 2], shell: process.platform === "win32" });
process.exit(run.status ?? 1);
