/**
 * `npm run demo`: a scripted triage session against the real server. It spawns
 * the built server over stdio on a throwaway store, connects a real MCP client
 * and plays both the agent and, for approvals, the human answering the form.
 * This file is a CLIENT, so stdout is its own to print on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";

const SERVER = fileURLToPath(new URL("./cli.js", import.meta.url));
const DELIVERY_TIMEOUT_MS = 20_000;
/** Channels a rollback can visibly undo (in-app) or record (email); webhooks need a receiver. */
const DEMO_CHANNELS = ["in_app", "email"] as const;

const print = (line = "") => void process.stdout.write(`${line}\n`);
const step = (n: number, title: string) => print(`\n── ${n}. ${title} ${"─".repeat(Math.max(0, 60 - title.length))}`);
const indent = (text: string) => text.split("\n").map((l) => `   ${l}`).join("\n");

/** The scripted human: reads the approval form and ticks every box it asks for. */
function scriptedHuman(request: ElicitRequest): ElicitResult {
  const params = request.params as { message?: string; requestedSchema?: { properties?: Record<string, { type?: string; title?: string }> } };
  print(indent(`[human] the server asks: ${(params.message ?? "").split("\n")[0]}`));
  const content: Record<string, boolean> = {};
  for (const [name, field] of Object.entries(params.requestedSchema?.properties ?? {})) {
    if (field.type !== "boolean") continue;
    content[name] = true;
    print(indent(`[human] ticks "${field.title ?? name}"`));
  }
  print(indent("[human] accepts"));
  return { action: "accept", content };
}

type Structured = Record<string, unknown>;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "retivo-demo-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER, "serve"],
    env: { RETIVO_DB: join(dir, "retivo.db"), RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", LOG_LEVEL: "error" },
    stderr: "pipe",
  });
  let serverLog = "";
  transport.stderr?.on("data", (chunk: Buffer) => void (serverLog += chunk.toString()));
  const client = new Client({ name: "retivo-demo", version: "1.0.0" }, { capabilities: { elicitation: { form: {} } } });
  client.setRequestHandler(ElicitRequestSchema, (request) => scriptedHuman(request));

  async function call(name: string, args: Structured = {}): Promise<Structured> {
    print(indent(`→ ${name} ${JSON.stringify(args)}`));
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
    if (result.isError) throw new Error(`${name} failed: ${text}`);
    print(indent(text));
    return result.structuredContent ?? {};
  }

  try {
    step(1, "Start the server on a fresh demo store");
    await client.connect(transport);
    const info = client.getServerVersion();
    print(indent(`connected to ${info?.name} ${info?.version} over stdio (store: ${dir})`));
    print(indent((client.getInstructions() ?? "").split("\n")[1] ?? ""));

    // Flagged and still planned: the ones a human can still act on (sent ones are history).
    step(2, "What is flagged and still waiting for a decision?");
    const flagged = (await call("list_interventions", { flagged: true, status: "planned", limit: 5 })).interventions as { id: string }[];
    if (!flagged[0]) throw new Error("the demo store has no flagged planned intervention");

    step(3, "Explain one of them");
    await call("get_intervention", { intervention_id: flagged[0].id });

    step(4, "Dry-run the decision for a user: which playbook, and which rules decided");
    const target = await findUserToContact(client);
    await call("dry_run_intervention", { user_id: target.user_id, channel: target.channel });

    step(5, "Create an intervention for them");
    const created = await call("create_intervention", target);
    const id = created.id as string;

    step(6, "Read what would be sent, and its quality checks, before anyone approves it");
    await call("get_intervention", { intervention_id: id });

    step(7, "Approve it (the server asks the human)");
    const approved = await call("approve_intervention", { intervention_id: id });
    if (approved.status !== "approved") throw new Error(`expected approved, got ${String(approved.status)}`);

    step(8, "Watch the dispatcher deliver it");
    await waitForDelivery(client, id);

    step(9, "Roll it back (the human approves again)");
    const rolledBack = await call("rollback_intervention", { intervention_id: id, reason: "Demo: retracting the message we just sent." });
    if (rolledBack.status !== "rolled_back") throw new Error(`expected rolled_back, got ${String(rolledBack.status)}`);

    step(10, "Its audit trail, from the resource retivo://interventions/{id}");
    const resource = await client.readResource({ uri: `retivo://interventions/${id}` });
    const doc = JSON.parse((resource.contents[0] as { text: string }).text) as { audit_trail: { at: string; event: string; actor: string }[] };
    for (const entry of doc.audit_trail) print(indent(`${entry.at}  ${entry.event.padEnd(26)} ${entry.actor}`));

    print("\nDone: listed, explained, dry-ran, created, approved by a human, delivered and rolled back.");
  } catch (error) {
    process.stderr.write(`demo failed: ${(error as Error).message}\n${serverLog ? `server log:\n${serverLog}` : ""}`);
    process.exitCode = 1;
  } finally {
    await client.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The first user (offered by the completion of retivo://customers/{user_id})
 * the engine would contact on a demo channel; the search itself is not printed.
 */
async function findUserToContact(client: Client) {
  const { completion } = await client.complete({
    ref: { type: "ref/resource", uri: "retivo://customers/{user_id}" },
    argument: { name: "user_id", value: "" },
  });
  for (const channel of DEMO_CHANNELS) {
    for (const user_id of completion.values) {
      const result = (await client.callTool({ name: "dry_run_intervention", arguments: { user_id, channel } })) as CallToolResult;
      const decision = (result.structuredContent as { decision?: { action: string; playbook_id: string } } | undefined)?.decision;
      if (decision?.action === "intervene") return { user_id, playbook_id: decision.playbook_id, channel };
    }
  }
  throw new Error("no demo user would be contacted on in_app or email");
}

async function waitForDelivery(client: Client, id: string): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    const result = (await client.callTool({ name: "get_intervention", arguments: { intervention_id: id } })) as CallToolResult;
    const status = (result.structuredContent as { intervention: { status: string } }).intervention.status;
    if (status !== last) print(indent(`${id} is ${status}`));
    last = status;
    if (status === "delivered") return;
    if (["failed", "suppressed"].includes(status)) throw new Error(`${id} ended ${status} instead of delivered`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${id} was not delivered within ${DELIVERY_TIMEOUT_MS / 1000}s (last status: ${last})`);
}

await main();
