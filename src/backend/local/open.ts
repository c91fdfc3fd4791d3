/**
 * The emulated Retivo over an open store, wired once for everyone who serves
 * it (the MCP runtime, the REST server, the contract tests): each data set
 * seeded when empty, the live data set's webhook applied, one dispatcher for
 * all of them, and one LocalBackend per data set whose rollbacks the
 * dispatcher retracts.
 */
import type { Logger } from "../../log.js";
import type { Store } from "../../store/index.js";
import type { Writer } from "../../writer/types.js";
import { Dispatcher, type DispatcherOptions } from "./dispatch.js";
import { LocalBackend } from "./index.js";
import { ensureSeeded } from "./seed.js";

export interface LocalRetivoOptions {
  store: Store;
  /** The data sets served; the first is the one RETIVO_WEBHOOK_URL applies to. */
  tenants: readonly [string, ...string[]];
  /** The demo data set's seed, for data sets that are still empty. */
  seed: number;
  writer: Writer;
  logger: Logger;
  outboxDir: string;
  /** The live data set's webhook endpoint (RETIVO_WEBHOOK_URL/SECRET); the others never get one from the environment. */
  webhook?: { url: string; secret: string } | undefined;
  /** Data sets whose deliveries are only simulated. */
  simulate?: (tenantId: string) => boolean;
  now?: () => Date;
  /** Overrides for the dispatcher (tests shorten intervals or drive runOnce themselves). */
  dispatcher?: Partial<DispatcherOptions>;
}

export interface LocalRetivo {
  backends: ReadonlyMap<string, LocalBackend>;
  /** Not started: the caller starts its loop, or tests drive `runOnce()`. */
  dispatcher: Dispatcher;
}

export async function openLocalRetivo(options: LocalRetivoOptions): Promise<LocalRetivo> {
  const { store, tenants, logger } = options;
  for (const tenant of tenants) {
    if (await ensureSeeded(store, tenant, options.seed)) logger.info({ tenant, store: store.location }, "seeded an empty data set with demo data");
  }
  if (options.webhook) await store.catalog.setWebhook(tenants[0], options.webhook.url, options.webhook.secret);
  const dispatcher = new Dispatcher({
    store,
    logger,
    outboxDir: options.outboxDir,
    ...(options.simulate ? { simulate: options.simulate } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...options.dispatcher,
    tenants: [...tenants],
  });
  const backends = new Map(
    tenants.map((tenantId) => [
      tenantId,
      new LocalBackend({
        store,
        tenantId,
        writer: options.writer,
        logger,
        ...(options.now ? { now: options.now } : {}),
        onRolledBack: (intervention) => dispatcher.retract(intervention.id),
      }),
    ]),
  );
  return { backends, dispatcher };
}
