/**
 * A CPU profile of our stdio server while it answers 3,000 default
 * list_interventions calls, summarised as self time by package/module, so a
 * slow call can be pinned to a layer (SDK validation, JSON, zod, SQLite, ours).
 *
 *   npm run build && node --import tsx bench/profile/cpu-list.ts [tool] [json-args]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CLI, ourEnv, seedDemo, tempDir } from "../lib/fixture.js";
import { childEnv } from "../lib/stdio-client.js";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount: number;
}

const [tool = "list_interventions", json = "{}"] = process.argv.slice(2);
const fixture = tempDir("cpu");
const dbPath = join(fixture.dir, "retivo.db");
seedDemo(fixture.dir, dbPath);
const profileDir = join(fixture.dir, "prof");
const transport = new StdioClientTransport({
  command: process.execPath,
  args: ["--cpu-prof", "--cpu-prof-dir", profileDir, CLI, "serve"],
  env: childEnv(ourEnv(fixture.dir, dbPath)),
  stderr: "ignore",
});
const client = new Client({ name: "profile", version: "1.0.0" });
try {
  await client.connect(transport);
  for (let i = 0; i < 3000; i++) await client.callTool({ name: tool, arguments: JSON.parse(json) as Record<string, unknown> });
  const exited = new Promise((resolve) => transport.onclose = () => resolve(undefined));
  await client.close(); // stdin ends; the server shuts down and writes its profile
  await exited;
  await new Promise((r) => setTimeout(r, 1500));
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"))!;
  const profile = JSON.parse(readFileSync(join(profileDir, file), "utf8")) as { nodes: Node[] };
  const byLayer = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const url = node.callFrame.url;
    const layer = url.includes("node_modules/")
      ? url.split("node_modules/")[1]!.split("/").slice(0, url.includes("node_modules/@") ? 2 : 1).join("/") +
        (url.includes("@modelcontextprotocol") ? `/${url.split("/").slice(-1)[0]}` : "")
      : url.includes("/dist/")
        ? `ours: ${url.split("/dist/")[1]}`
        : url.startsWith("node:")
          ? url
          : `(${node.callFrame.functionName || "program/gc/native"})`;
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + node.hitCount);
    total += node.hitCount;
  }
  const ourFunctions = new Map<string, number>();
  for (const node of profile.nodes) {
    if (!node.callFrame.url.includes("/dist/")) continue;
    const key = `${node.callFrame.url.split("/dist/")[1]} ${node.callFrame.functionName || "(anonymous)"}`;
    ourFunctions.set(key, (ourFunctions.get(key) ?? 0) + node.hitCount);
  }
  const top = [...byLayer.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [layer, hits] of top) process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${layer}\n`);
  process.stdout.write("\nour functions (self time, including the native calls they make):\n");
  for (const [fn, hits] of [...ourFunctions.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    process.stdout.write(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${fn}\n`);
  }
} finally {
  try {
    if (transport.pid) process.kill(transport.pid, "SIGKILL");
  } catch {
    /* gone */
  }
  fixture.dispose();
}
