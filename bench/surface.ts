/**
 * What an agent pays to read the surface: tools/list and a default
 * list_interventions page, in bytes of JSON and in tokens (o200k, the
 * gpt-tokenizer default), as the client receives them.
 */
import { encode } from "gpt-tokenizer";
import type { StdioSession } from "./lib/stdio-client.js";

export interface SurfaceSize {
  what: string;
  bytes: number;
  tokens: number;
}

function size(what: string, value: unknown): SurfaceSize {
  const json = JSON.stringify(value);
  return { what, bytes: Buffer.byteLength(json), tokens: encode(json).length };
}

export async function measureSurface(ours: StdioSession, bare: StdioSession, generic?: StdioSession): Promise<SurfaceSize[]> {
  const sizes = [
    size("retivo-mcp tools/list (9 tools, input+output schemas, annotations)", await ours.client.listTools()),
    size("retivo-mcp list_interventions default page (20 compact rows, text + structured)", await ours.call("list_interventions", {})),
    size("bare SDK tools/list (1 no-op tool)", await bare.client.listTools()),
  ];
  if (generic) sizes.push(size("generic OpenAPI tools/list", await generic.client.listTools()));
  return sizes;
}
