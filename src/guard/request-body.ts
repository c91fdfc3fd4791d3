/**
 * A small request body read whole, as text: undefined when it is larger than
 * `maxBytes` (the request is then destroyed, nothing more is buffered) or
 * when reading it failed. For the approval page's form and the decisions
 * endpoint, whose callers answer undefined with their own refusal.
 */
import type { IncomingMessage } from "node:http";

export function readSmallBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(undefined));
  });
}
