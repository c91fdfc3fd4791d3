/**
 * Prompt and template files in `prompts/`, rendered by a deliberately strict
 * engine: `{{name}}` is the only syntax, every name must be in the given map,
 * and anything else that looks like a tag is an error. A typo in a prompt then
 * fails a test instead of reaching a model or an end user as "{{frist_name}}".
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `src/writer/prompts.ts` (tsx, vitest) and `dist/writer/prompts.js` (built)
 * both sit two levels below the package root, where `prompts/` ships.
 */
export const PROMPTS_DIR = fileURLToPath(new URL("../../prompts/", import.meta.url));

export interface PromptFile {
  /** Path under prompts/ without `.md`, with forward slashes: "system", "templates/win_back.email". */
  id: string;
  text: string;
  /** SHA-256 hex of the file text: recorded in provenance so a wording change is traceable. */
  hash: string;
}

/** A prompt that names a variable the caller did not supply, or a malformed tag. A bug, never a fallback. */
export class PromptTemplateError extends Error {
  override name = "PromptTemplateError";
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

const loaded = new Map<string, PromptFile>();

export function loadPrompt(id: string): PromptFile {
  let file = loaded.get(id);
  if (!file) {
    const text = readFileSync(join(PROMPTS_DIR, `${id}.md`), "utf8");
    file = { id, text, hash: sha256Hex(text) };
    loaded.set(id, file);
  }
  return file;
}

/** Every prompt file id, for tests that render them all. */
export function listPromptIds(dir = PROMPTS_DIR): string[] {
  const ids: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".md")) continue;
    const path = relative(dir, join(entry.parentPath, entry.name));
    ids.push(path.slice(0, -3).split(sep).join("/"));
  }
  return ids.sort();
}

const TAG = /\{\{([^{}]*)\}\}/g;
const NAME = /^\s*([a-z][a-z0-9_]*)\s*$/;

/** Single pass: values are inserted as they are and never scanned for tags themselves. */
export function render(template: string, vars: Readonly<Record<string, string>>, id = "template"): string {
  const out = template.replace(TAG, (_tag, inner: string) => {
    const name = NAME.exec(inner)?.[1];
    if (!name) throw new PromptTemplateError(`${id}: malformed tag {{${inner}}}; use {{lower_snake_name}}`);
    if (!Object.hasOwn(vars, name)) {
      throw new PromptTemplateError(`${id}: unknown variable {{${name}}}; known: ${Object.keys(vars).sort().join(", ")}`);
    }
    return vars[name]!;
  });
  // A lone "{{" or "}}" left over means a tag the pattern could not read.
  const stray = /\{\{|\}\}/.exec(template.replace(TAG, ""));
  if (stray) throw new PromptTemplateError(`${id}: unbalanced '${stray[0]}'`);
  return out;
}

/** The variables a template uses, for tests and for documentation. */
export function variablesOf(template: string): string[] {
  return [...new Set([...template.matchAll(TAG)].map((m) => (NAME.exec(m[1]!)?.[1] ?? m[1]!).trim()))];
}
