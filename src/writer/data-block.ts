/**
 * How untrusted values reach a model: as JSON inside a delimited data block,
 * one per kind (the person, the playbook, the brand). End users type their own
 * first name and tenants write their brand context, so any of it may try to
 * steer the writer; the prompt says a block holds data, never instructions,
 * and this encoding makes the block's end impossible to forge from inside:
 *
 * - the delimiters are `<<<label id` and `label id>>>`, and the JSON carries no
 *   `<` or `>` at all (they are written \u003c and \u003e), so no value can
 *   close the block or open another;
 * - JSON escapes quotes and line breaks, and control, format (bidi) and line
 *   or paragraph separator characters are escaped too, so a value stays on its
 *   own line and cannot start one that reads like a system message;
 * - `id` is a hash of the block's own content, which a value cannot predict
 *   without changing it.
 */
import { sha256Hex } from "./prompts.js";

const UNSAFE = /[<>\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function escapeUnsafe(json: string): string {
  // Inside JSON strings these become \uXXXX escapes; outside them JSON.stringify only writes "\n" and spaces, which stay.
  // A character beyond the BMP is two UTF-16 units; JSON escapes it as the pair.
  const escape = (ch: string) => Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`).join("");
  return json.replace(UNSAFE, (ch) => (ch === "\n" ? ch : escape(ch)));
}

export interface DataBlock {
  label: string;
  id: string;
  text: string;
}

export function dataBlock(label: string, data: unknown): DataBlock {
  const json = escapeUnsafe(JSON.stringify(data, null, 2));
  const id = sha256Hex(`${label}\n${json}`).slice(0, 16);
  return { label, id, text: `<<<${label} ${id}\n${json}\n${label} ${id}>>>` };
}

