/**
 * Asking the human through URL-mode elicitation: the client opens the local
 * approval page; accepting the elicitation only means "I opened it". The call
 * then waits a bounded time for the answer on the page (or in the CLI), and
 * otherwise returns pending so a later call picks the answer up. Whenever the
 * human answers, the client gets `notifications/elicitation/complete`.
 */
import { factsOf, isExpired, type ApprovalRow, type Store } from "../store/index.js";
import { headline } from "./describe.js";
import type { ChannelOutcome } from "./form-channel.js";
import { answerApproval } from "./human-answer.js";
import { oneLine } from "../text/sanitize.js";
import type { GuardSession } from "./types.js";

/** Completion notifiers by approval id, fired once when the human answers. */
export class CompletionNotifiers {
  private readonly pending = new Map<string, () => Promise<void>>();

  register(approvalId: string, notify: () => Promise<void>): void {
    this.pending.set(approvalId, notify);
  }

  fire(approvalId: string): void {
    const notify = this.pending.get(approvalId);
    if (!notify) return;
    this.pending.delete(approvalId);
    // A client that went away cannot be told; the answer is in the store either way.
    notify().catch(() => undefined);
  }

  clear(): void {
    this.pending.clear();
  }
}

const POLL_MS = 150;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Polls the store so an answer given in another process (the CLI) is seen too. */
async function waitForAnswer(store: Store, id: string, until: number, signal: AbortSignal): Promise<ApprovalRow | undefined> {
  while (Date.now() < until && !signal.aborted) {
    const row = await store.approvals.get(id);
    if (!row || row.status !== "pending") return row;
    await sleep(Math.min(POLL_MS, Math.max(0, until - Date.now())), signal);
  }
  return store.approvals.get(id);
}

export interface UrlAsk {
  store: Store;
  row: ApprovalRow;
  url: string;
  session: GuardSession;
  notifiers: CompletionNotifiers;
  /** Longest time one tool call waits for the page; clients time requests out. */
  waitMs: number;
}

export async function askByUrl({ store, row, url, session, notifiers, waitMs }: UrlAsk): Promise<ChannelOutcome> {
  const { facts } = factsOf(row);
  notifiers.register(row.id, () => session.notifyUrlElicitationComplete(row.id));
  let action: string;
  try {
    const result = await session.elicitUrl({
      mode: "url",
      elicitationId: row.id,
      url,
      message: `${headline(row)}. Open the local approval page to review the exact message and approve or deny it.`,
    });
    action = result.action;
  } catch (error) {
    return { kind: "pending", note: `The approval page could not be offered (${(error as Error).message}).` };
  }
  if (action !== "accept") {
    // The client reported it; no human answer reached the page, so it is recorded as the client's.
    await answerApproval(store, row.id, { approve: false, via: "client", clientName: session.client.name, answer: `url_${action}`, note: null });
    notifiers.fire(row.id);
    return {
      kind: "refused",
      message: `The human ${action === "decline" ? "declined to open" : "dismissed"} the approval page (${facts.intervention_id}). Nothing changed.`,
    };
  }
  const answered = await waitForAnswer(store, row.id, Math.min(Date.now() + waitMs, Date.parse(row.expires_at)), session.signal);
  if (answered && answered.status !== "pending") notifiers.fire(row.id);
  if (answered?.status === "denied") {
    const note = answered.note ? ` Their note: "${oneLine(answered.note, 300)}".` : "";
    return { kind: "refused", message: `A human denied the request on the approval page (${facts.intervention_id}).${note} Nothing changed.` };
  }
  // Approved (the page executes it at once, so it may already be executed, void or failed): the guard reports which.
  if (answered && answered.status !== "pending" && answered.status !== "expired") return { kind: "approved", row: answered };
  if (answered && isExpired(answered, new Date())) return { kind: "refused", message: `The approval request expired unanswered. Nothing changed.` };
  return { kind: "pending" };
}
