/**
 * Wires one process: the store, the backend (local or HTTP), the writer, the
 * guard and the dispatcher. Transports call `newServer()` once per MCP session;
 * everything else is shared by the sessions of the process.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Config } from "./config.js";
import type { InterventionsBackend } from "./backend/types.js";
import type { Dispatcher } from "./backend/local/dispatch.js";
import { openLocalRetivo } from "./backend/local/open.js";
import { recipientFor } from "./backend/local/recipient.js";
import { offersInMessage } from "./backend/local/offers-in-message.js";
import type { DetailedIntervention } from "./api/schemas.js";
import { ReadOnlyBackend } from "./backend/read-only.js";
import { createGuard } from "./guard/index.js";
import { impossibleRules, readPolicy, type Policy } from "./guard/policy.js";
import type { NoticeSink } from "./guard/notices.js";
import { ConfigError } from "./errors.js";
import { LOCAL_BACKEND, type ApprovalGuard } from "./guard/types.js";
import type { Logger } from "./log.js";
import { buildServer } from "./mcp/server.js";
import { exposureWarningOf, openStore, type Store } from "./store/index.js";
import { createWriter } from "./writer/index.js";
import type { Writer } from "./writer/types.js";

export const LIVE_TENANT = "live";

export interface Runtime {
  config: Readonly<Config>;
  logger: Logger;
  /** The local store, or in API mode the store that holds approvals and the audit log. */
  store: Store;
  backend: InterventionsBackend;
  writer: Writer;
  guard: ApprovalGuard;
  /** Present in local mode only. */
  dispatcher: Dispatcher | undefined;
  newServer(): McpServer;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  writer?: Writer;
  dispatcher?: Partial<ConstructorParameters<typeof Dispatcher>[0]>;
  /** Skip the background dispatcher loop (tests drive `dispatcher.runOnce()`). */
  startDispatcher?: boolean;
  /** Skip the loop that releases what humans approved elsewhere (default: it runs, unless read-only or deny). */
  startReleaseLoop?: boolean;
  /** Where approval notices go (default: a log line on stderr); the approval webhook adds its sink here. */
  noticeSinks?: NoticeSink[];
}

/** The approval policy, if one is configured: every problem found stops the start, named. */
async function policyOf(config: Readonly<Config>, store: Store): Promise<Policy | undefined> {
  if (!config.approval.policyFile) return undefined;
  const policy = readPolicy(config.approval.policyFile);
  const problems = impossibleRules(policy, await store.operators.list());
  if (problems.length > 0) {
    throw new ConfigError(`The approval policy ${config.approval.policyFile} (RETIVO_POLICY) has rules no one could ever satisfy:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return policy;
}

export async function openRuntime(config: Readonly<Config>, logger: Logger, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const store = await openStore(config);
  let policy: Policy | undefined;
  try {
    policy = await policyOf(config, store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const exposure = exposureWarningOf(config);
  if (exposure) logger.warn({ store: store.location }, exposure);
  const writer = overrides.writer ?? createWriter(config.llm, logger);
  let backend: InterventionsBackend;
  let dispatcher: Dispatcher | undefined;
  if (config.backend.kind === "api") {
    // Loaded only in API mode: the HTTP client stack is most of what a local start would not need.
    const { HttpBackend } = await import("./backend/http.js");
    const { checkApiKeyAtStart } = await import("./backend/http/key-check.js");
    backend = new HttpBackend({ ...config.backend, logger });
    logger.info({ mode: backend.mode, url: config.backend.apiUrl }, `using the Retivo API (${config.backend.keyMode} key)`);
    await checkApiKeyAtStart(backend, config.backend.apiUrl, config.backend.apiKey, logger).catch(async (error: unknown) => {
      await backend.close();
      await store.close();
      throw error;
    });
  } else {
    const local = await openLocalRetivo({
      store,
      tenants: [LIVE_TENANT],
      seed: config.seed,
      writer,
      logger,
      outboxDir: config.outboxDir,
      webhook: config.webhook,
      dispatcher: { leaseMs: config.deliveryLeaseMs, ...overrides.dispatcher },
    });
    dispatcher = local.dispatcher;
    backend = local.backends.get(LIVE_TENANT)!;
    if (overrides.startDispatcher !== false) dispatcher.start();
    logger.info({ store: store.location }, "using the local store");
  }
  // Read-only is enforced here as well as by hiding write tools, so no path
  // (a future tool, a resource, a prompt) can change anything by mistake.
  if (config.readOnly) backend = new ReadOnlyBackend(backend);
  const recipientOf = config.backend.kind === "local" ? (intervention: DetailedIntervention) => recipientFor(store, LIVE_TENANT, intervention) : undefined;
  const backendId = config.backend.kind === "api" ? `${backend.mode} ${config.backend.apiUrl}` : LOCAL_BACKEND;
  const dataSet = config.backend.kind === "api" ? config.backend.keyMode : "live";
  const offersIn = config.backend.kind === "local" ? (intervention: DetailedIntervention) => offersInMessage(store, LIVE_TENANT, intervention) : undefined;
  let guard: ApprovalGuard;
  try {
    guard = await createGuard({ store, config, logger, executor: backend, backendMode: backend.mode, backendId, recipientOf, policy, dataSet, offersIn, ...(overrides.noticeSinks ? { noticeSinks: overrides.noticeSinks } : {}) });
  } catch (error) {
    // A guard that cannot start (its page login's settings, say) leaves nothing running behind the error.
    await dispatcher?.stop();
    await backend.close();
    await store.close();
    throw error;
  }
  // Any running server on the store executes what a human approved in the CLI or on a page:
  // the human's decision is the release. Not here if this server may not change anything.
  if (overrides.startReleaseLoop !== false && !config.readOnly && config.approval.policy !== "deny") guard.start?.();
  const auditTrail = (interventionId: string) => store.audit.trail(interventionId);
  const runtime: Runtime = {
    config,
    logger,
    store,
    backend,
    writer,
    guard,
    dispatcher,
    newServer: () => buildServer({ backend, guard, writer, logger, config, auditTrail }),
    async close() {
      await dispatcher?.stop();
      await guard.close?.();
      await backend.close();
      await store.close();
    },
  };
  return runtime;
}
