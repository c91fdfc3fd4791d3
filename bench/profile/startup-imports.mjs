#!/usr/bin/env node
/**
 * Where cold start goes: the import cost of each layer of dist/cli.js serve,
 * measured in load order in fresh processes (each segment pays only for what
 * the previous ones did not already load). Median of 7 runs.
 *
 *   node bench/profile/startup-imports.mjs
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SEGMENTS = [
  ["MCP SDK (server + stdio): the bare floor pays this too", ["@modelcontextprotocol/sdk/server/mcp.js", "@modelcontextprotocol/sdk/server/stdio.js"]],
  ["pino + better-sqlite3 + zod", ["pino", "better-sqlite3", "zod"]],
  ["openai (+ helpers/zod): writer/openai.ts, imported even when RETIVO_LLM=template", ["openai", "openai/helpers/zod"]],
  ["undici: backend/http.ts, imported even on the local store", ["undici"]],
  ["the rest of dist/runtime.js + transport/stdio.js", ["../../dist/runtime.js", "../../dist/transport/stdio.js"]],
];

if (process.argv[2] === "--child") {
  const times = [];
  for (const [, modules] of SEGMENTS) {
    const start = performance.now();
    for (const m of modules) await import(m.startsWith(".") ? new URL(m, import.meta.url).href : m);
    times.push(performance.now() - start);
  }
  process.stdout.write(JSON.stringify(times));
} else {
  const runs = [];
  for (let i = 0; i < 7; i++) runs.push(JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child"], { encoding: "utf8" })));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  SEGMENTS.forEach(([label], i) => process.stdout.write(`${median(runs.map((r) => r[i])).toFixed(1).padStart(8)} ms  ${label}\n`));
}
