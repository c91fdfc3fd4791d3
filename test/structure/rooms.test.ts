/**
 * The rooms of src/ hold because lint refuses the imports that would break
 * them: each case lints one line of code as if it sat in a room, through the
 * project's own ESLint configuration, and expects the room's refusal (or, for
 * the door a room may use, none).
 */
import { ESLint } from "eslint";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: ROOT });

async function refusals(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x;\n`, { filePath: resolve(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const REFUSED: Array<[room: string, file: string, source: string]> = [
  ["tools never import a concrete backend", "src/tools/x.ts", 'import { x } from "../backend/local/index.js";'],
  ["tools never import the HTTP backend", "src/tools/x.ts", 'import { x } from "../backend/http.js";'],
  ["tools never open the store", "src/tools/x.ts", 'import { x } from "../store/index.js";'],
  ["the store's operations never reach up into the port that lists them", "src/store/ops/x.ts", 'import { x } from "../port.js";'],
  ["tools never touch an engine", "src/tools/x.ts", 'import { x } from "../store/sqlite/engine.js";'],
  ["tools never reach up into the MCP adapter that registers them", "src/tools/x.ts", 'import { x } from "../mcp/result.js";'],
  ["the writer never imports a backend", "src/writer/x.ts", 'import { x } from "../backend/types.js";'],
  ["the writer never imports tools", "src/writer/x.ts", 'import { x } from "../tools/define.js";'],
  ["the writer never speaks MCP", "src/writer/x.ts", 'import { x } from "@modelcontextprotocol/sdk/types.js";'],
  ["the store never imports the MCP adapter", "src/store/ops/x.ts", 'import { x } from "../../mcp/server.js";'],
  ["the store never imports the guard", "src/store/x.ts", 'import { x } from "../guard/guard.js";'],
  ["the store never imports tools", "src/store/sqlite/x.ts", 'import { x } from "../../tools/index.js";'],
  ["backends never import the guard", "src/backend/local/x.ts", 'import { x } from "../../guard/guard.js";'],
  ["backends never import the MCP adapter", "src/backend/x.ts", 'import { x } from "../mcp/result.js";'],
  ["backends reach storage through the port only", "src/backend/local/x.ts", 'import { x } from "../../store/ops/changes.js";'],
  ["the guard releases through the backend interface", "src/guard/x.ts", 'import { x } from "../backend/local/index.js";'],
  ["the domain depends on nothing above it", "src/domain/x.ts", 'import { x } from "../store/index.js";'],
  ["the MCP adapter never touches an engine", "src/mcp/resources/x.ts", 'import { x } from "../../store/sqlite/engine.js";'],
];

const ALLOWED: Array<[door: string, file: string, source: string]> = [
  ["tools use the backend interface", "src/tools/x.ts", 'import type { x } from "../backend/types.js";'],
  ["tools take storage types from the port", "src/tools/x.ts", 'import type { x } from "../store/port.js";'],
  ["the guard opens the store through its index", "src/guard/x.ts", 'import { x } from "../store/index.js";'],
  ["backends use the port", "src/backend/local/x.ts", 'import type { x } from "../../store/port.js";'],
];

describe("the rooms of src/, as lint enforces them", () => {
  it.each(REFUSED)("%s", async (_room, file, source) => {
    expect(await refusals(file, source)).toHaveLength(1);
  });

  it.each(ALLOWED)("allowed: %s", async (_door, file, source) => {
    expect(await refusals(file, source)).toEqual([]);
  });
});
