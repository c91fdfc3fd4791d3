/**
 * Graceful shutdown, in the order that loses no acknowledged write:
 * 1. drain: refuse new sessions and requests (503), but keep accepting the
 *    answers (elicitation results) that calls in flight may be waiting for;
 * 2. wait for calls in flight, up to a deadline; answer the ones still running
 *    then with an error, so no client is left waiting on silence;
 * 3. close every session (ends their SSE streams), then the listener and its
 *    remaining connections;
 * 4. close the runtime: stop the dispatcher (which waits, bounded, for webhook
 *    POSTs in flight and records them), close SQLite.
 */
import type { Server } from "node:http";
import type { Logger } from "../../log.js";
import type { SessionRegistry } from "./sessions.js";

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

const CUT_BY_SHUTDOWN =
  "The server shut down before this call finished, so it may or may not have taken effect: " +
  "check the intervention's current state (get_intervention) before calling again.";

export interface ShutdownDeps {
  httpServer: Server;
  registry: SessionRegistry;
  logger: Logger;
  startDraining: () => void;
  closeRuntime: () => Promise<void>;
}

export async function gracefulShutdown(deps: ShutdownDeps, deadlineMs: number): Promise<void> {
  const { httpServer, registry, logger } = deps;
  deps.startDraining();
  const inFlight = registry.inFlight();
  if (inFlight > 0) logger.info({ inFlight, deadlineMs }, "waiting for calls in flight");
  const drained = await registry.waitForNoInFlight(Date.now() + deadlineMs);
  if (!drained) {
    logger.warn({ inFlight: registry.inFlight() }, "shutdown deadline passed with calls still in flight; answering them with an error and closing");
    await registry.failInFlight(CUT_BY_SHUTDOWN);
  }
  await registry.closeAll("server shutting down");
  await new Promise<void>((resolve) => {
    httpServer.close(() => resolve());
    httpServer.closeAllConnections();
  });
  await deps.closeRuntime();
  logger.info("HTTP transport stopped");
}

/** SIGTERM/SIGINT run `shutdown` once; a second signal exits at once. */
export function exitOnSignals(shutdown: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting without waiting");
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, "shutting down");
      shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
