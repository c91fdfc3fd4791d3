import { afterEach, expect, it } from "vitest";
import { startChatTool, type ChatTool } from "../support/chat-tool.js";
import type { HttpHarness } from "../transport/helpers.js";
import { pendingApproval, teamServer, WEBHOOK_SECRET } from "./team-server.js";
import { until as waitFor } from "../support/wait.js";

let chat: ChatTool | undefined;
let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  await chat?.close();
});

it("trial: the guard's notices reach the chat tool, which decides back", async () => {
  chat = await startChatTool(WEBHOOK_SECRET);
  h = await teamServer(chat.url, ["alice", "bob", "carol"]);
  const { approvalId, interventionId } = await pendingApproval(h);
  await waitFor(() => chat!.notices.some((n) => n.body.type === "approval.requested"));
  const requested = chat.notices.find((n) => n.body.type === "approval.requested")!;
  console.log(JSON.stringify(requested.body, null, 1));
  expect(requested.signatureValid).toBe(true);
  const base = new URL(h.url).origin;
  for (const operator of ["alice", "bob"]) {
    const reply = await chat.decide(`${base}/approvals/${approvalId}/decisions`, { operator, decision: "approve" });
    expect(reply.status).toBe(200);
  }
  await waitFor(() => chat!.notices.some((n) => n.body.type === "approval.outcome"));
  console.log(chat.notices.map((n) => `${String(n.body.type)} | ${String(n.body.text)}`).join("\n"));
  expect((await h.runtime.store.interventions.get("live", interventionId))!.status).toBe("approved");
}, 60_000);
