/**
 * Reading the writer's data blocks back out of a prompt, as a model (or a test
 * checking what a model was shown) would: `<<<label id`, JSON, `label id>>>`.
 */
const BLOCK = /^<<<([a-z_]+) ([0-9a-f]{16})\n([\s\S]*?)\n\1 \2>>>$/gm;

export interface ReadBlock {
  label: string;
  id: string;
  data: unknown;
  raw: string;
}

export function dataBlocksIn(prompt: string): ReadBlock[] {
  return [...prompt.matchAll(BLOCK)].map((m) => ({ label: m[1]!, id: m[2]!, data: JSON.parse(m[3]!) as unknown, raw: m[0] }));
}

/** The first block with this label, decoded; undefined when the prompt has none. */
export function dataOf<T = Record<string, unknown>>(prompt: string, label: string): T | undefined {
  return dataBlocksIn(prompt).find((b) => b.label === label)?.data as T | undefined;
}

/** What the prompt says outside every data block: the text we wrote as instructions. */
export function outsideDataBlocks(prompt: string): string {
  return prompt.replace(BLOCK, "");
}

/** Every string inside a decoded block, however deeply nested. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsOf);
  return [];
}
