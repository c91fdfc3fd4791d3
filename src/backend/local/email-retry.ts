/**
 * Writing an approved email to the outbox folder when the folder may be
 * broken for a while (no permission, a full disk, a file where the folder
 * should be): the operator can fix it, so a failed write is retried with
 * backoff rather than failing the message at once; and the folder is checked
 * when the dispatcher starts, so the operator hears of it before an email does.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jittered, sleepUnlessStopped } from "./webhook-retry.js";

export interface EmailRetryPolicy {
  /** Delays between attempts; attempts = delays + 1. */
  delaysMs: readonly number[];
  /** Aborted when the dispatcher stops: the backoff ends and the email is left for a resume. */
  stopping: AbortSignal;
  onRetry: (attempt: number, detail: string) => Promise<void>;
}

export interface EmailEnd {
  outcome: "written" | "error" | "interrupted";
  attempt: number;
  detail: string;
}

function reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code ? `${code}: ${(error as Error).message}` : String((error as Error).message ?? error);
}

/** `write` returns where the message went; it is idempotent per intervention (one file name per id). */
export async function writeEmailWithRetries(write: () => string, policy: EmailRetryPolicy): Promise<EmailEnd> {
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    try {
      return { outcome: "written", attempt, detail: `written to ${write()}` };
    } catch (error) {
      problem = `could not write to the outbox: ${reason(error)}`;
    }
    const delay = policy.delaysMs[attempt - 1];
    if (delay === undefined) return { outcome: "error", attempt, detail: problem };
    await policy.onRetry(attempt, `${problem}; retrying`);
    if (!(await sleepUnlessStopped(jittered(delay), policy.stopping))) {
      return { outcome: "interrupted", attempt, detail: `${problem}; the dispatcher stopped: left for a resume` };
    }
  }
}

/** Undefined when the folder can be created and written; otherwise one line for the operator. */
export function checkOutbox(outboxDir: string): string | undefined {
  const probe = join(outboxDir, `.write-check-${randomUUID()}`);
  try {
    mkdirSync(outboxDir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
    return undefined;
  } catch (error) {
    return `The outbox folder ${outboxDir} cannot be written (${reason(error)}): approved emails will be retried with backoff and fail after the last attempt until the folder is fixed.`;
  }
}
