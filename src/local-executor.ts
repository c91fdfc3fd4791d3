/**
 * What `retivo-mcp approvals approve` uses to execute, on the local store, the
 * action a human just approved: the store's own LocalBackend, and a dispatcher
 * to send a rolled-back webhook's signed retraction at once. Wired here, with
 * the runtime, so that the guard never depends on the emulated Retivo.
 */
import { Dispatcher } from "./backend/local/dispatch.js";
import { LocalBackend } from "./backend/local/index.js";
import type { Config } from "./config.js";
import type { LocalExecutor } from "./guard/cli-approvals.js";
import { GUARD_TENANT } from "./guard/guard-audit.js";
import type { Logger } from "./log.js";
import type { Store } from "./store/index.js";
import { createWriter } from "./writer/index.js";

/** How long the CLI waits for a webhook retraction before leaving it to a running server. */
const SETTLE_MS = 15_000;

export function localExecutorFor(config: Readonly<Config>, logger: Logger): (store: Store) => LocalExecutor {
  return (store) => {
    const dispatcher = new Dispatcher({ store, logger, outboxDir: config.outboxDir, tenants: [GUARD_TENANT], leaseMs: config.deliveryLeaseMs });
    const retracting: string[] = [];
    const backend = new LocalBackend({
      store,
      tenantId: GUARD_TENANT,
      // Approve and rollback write nothing new: the offline writer is enough and loads nothing.
      writer: createWriter({ ...config.llm, provider: "template" }, logger),
      logger,
      onRolledBack: (intervention) => {
        retracting.push(intervention.id);
        dispatcher.retract(intervention.id);
      },
    });
    return {
      executor: backend,
      async settle() {
        const id = retracting[0];
        if (!id) return undefined;
        const done = await Promise.race([dispatcher.idle().then(() => true), new Promise<false>((resolve) => setTimeout(resolve, SETTLE_MS, false).unref())]);
        if (!done) return "The signed retraction is still being sent to the webhook endpoint; a running retivo-mcp server on this store finishes it.";
        const last = (await store.deliveries.of(id)).filter((d) => d.kind === "retraction").at(-1);
        return last?.outcome === "accepted"
          ? "The webhook endpoint accepted the signed retraction."
          : `The signed retraction did not reach the webhook endpoint yet (${last?.outcome ?? "unknown"}: ${last?.detail ?? "no record"}); a running retivo-mcp server on this store retries it.`;
      },
      close: () => dispatcher.stop(),
    };
  };
}
