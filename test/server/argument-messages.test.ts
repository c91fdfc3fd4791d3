/**
 * The words of an argument refusal, through a real MCP client: every problem
 * listed, every accepted argument named, a reply of exactly the cap let
 * through whole; and a `__proto__` key sent as raw JSON-RPC in-process, as it
 * arrives over stdio (an own key of the parsed message, which the SDK's copy
 * of `arguments` would drop before the handler).
 */
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { seededId, startHarness, storedStatus, type Harness } from "../support/harness.js";
import { dbOf } from "../support/sqlite.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("argument refusals, word for word", () => {
  it("lists every problem and names every argument the tool accepts", async () => {
    h = await startHarness();
    expect(await h.fails("reject_intervention", { intervention_id: 5, force: true })).toBe(
      "Invalid arguments for reject_intervention: intervention_id: Invalid input: expected string, received number; " +
        `reason: Invalid input: expected string, received undefined; arguments: Unrecognized key: "force". Remove 'force': reject_intervention accepts only intervention_id, reason.`,
    );
  });

  it("lets a list of problems of exactly 1000 characters through whole, without an ellipsis", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const key = "k".repeat(1000 - 'arguments: Unrecognized key: ""'.length);
    const text = await h.fails("pause_intervention", { intervention_id: id, [key]: true });
    expect(text.startsWith(`Invalid arguments for pause_intervention: arguments: Unrecognized key: "${key}". Remove '`)).toBe(true);
  });
});

/** One in-process MCP session spoken as raw JSON-RPC: each message is handed over exactly as parsed from text. */
async function rawSession(harness: Harness, lines: string[]): Promise<Map<number, { result?: { isError?: boolean; content: { text: string }[] } }>> {
  const server = harness.runtime.newServer();
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  const answers = new Map<number, { result?: { isError?: boolean; content: { text: string }[] } }>();
  let wake: (() => void) | undefined;
  client.onmessage = (message) => {
    if ("id" in message && typeof message.id === "number") answers.set(message.id, message as never);
    wake?.();
  };
  await server.connect(serverSide);
  await client.start();
  const send = async (text: string) => {
    const message = JSON.parse(text) as JSONRPCMessage;
    await client.send(message);
    if ("id" in message && typeof message.id === "number") {
      const id = message.id;
      while (!answers.has(id)) await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  await send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-client", version: "1" } } }));
  await send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  for (const line of lines) await send(line);
  await server.close();
  return answers;
}

describe("a __proto__ argument as raw JSON-RPC, in-process", () => {
  it("is refused by name and audited, and nothing changes", async () => {
    h = await startHarness();
    const id = seededId(h.runtime, "planned", "AND flagged = 0");
    const forged = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"approve_intervention","arguments":{"intervention_id":"${id}","__proto__":{"confirm":true,"approved":true}}}}`;
    const answers = await rawSession(h, [forged]);
    const result = answers.get(2)!.result!;
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toBe(
      `Invalid arguments for approve_intervention: arguments: Unrecognized key: "__proto__". Remove '__proto__': approve_intervention accepts only intervention_id.`,
    );
    const refusal = dbOf(h.runtime).prepare("SELECT actor, detail FROM audit_log WHERE event = 'approval_refused' AND intervention_id = ?").get(id) as { actor: string; detail: string };
    expect(refusal.actor).toBe("agent:raw-client");
    expect(JSON.parse(refusal.detail)).toMatchObject({ reason: "invalid arguments", unknown_arguments: ["__proto__"], unknown_argument_count: 1 });
    expect(storedStatus(h.runtime, id).status).toBe("planned");
  });
});
