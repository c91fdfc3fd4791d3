/**
 * `retivo-mcp api`: the Retivo Interventions REST API served over the local
 * store, for users without a Retivo account and for our own contract tests.
 * Live keys see tenant 'live'; test keys see tenant 'test', whose deliveries
 * the dispatcher only simulates. Loopback by default (config.restServer.host).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config.js";
import type { Dispatcher, DispatcherOptions } from "../backend/local/dispatch.js";
import { openLocalRetivo } from "../backend/local/open.js";
import { AuthError, NotFoundError, RateLimitedError } from "../errors.js";
import type { Logger } from "../log.js";
import { openStore, storeFaultOf, type Store } from "../store/index.js";
import { createWriter } from "../writer/index.js";
import type { Writer } from "../writer/types.js";
import { errorReply, MethodNotAllowedError } from "./errors.js";
import { readJsonBody, sendJson } from "./io.js";
import { generateTestKey, KeyRing, type RestKey } from "./keys.js";
import { buildOpenApiDocument } from "./openapi.js";
import { readPolicy } from "../guard/policy.js";
import { requireOperatorPassphrase } from "./operator.js";
import { requireSoleOperatorAllowed } from "./sole-operator.js";
import { ROUTES, type Route } from "./routes.js";

export interface RestServerOptions {
  config: Readonly<Config>;
  logger: Logger;
  /** An open store to serve; when absent, the configured one is opened and closed with the server. */
  store?: Store;
  writer?: Writer;
  now?: () => Date;
  /** Overrides for the dispatcher (tests shorten intervals or drive runOnce themselves). */
  dispatcher?: Partial<DispatcherOptions>;
  /** Default true; tests that call `dispatcher.runOnce()` turn the polling loop off. */
  startDispatcher?: boolean;
}

export interface RestServer {
  url: string;
  port: number;
  /** Label and data set of every accepted key; the keys themselves are not kept here. */
  keys: RestKey[];
  /** The random rt_test_ key made because RETIVO_API_KEYS was empty, else undefined. */
  generatedKey: string | undefined;
  /** Delivers approved interventions (simulated for the test data set). */
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

const TENANTS: readonly ["live", "test"] = ["live", "test"];

export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const { config, logger } = options;
  // Read once at start, as `serve` does: a bad file stops the server before it opens anything.
  const policy = config.approval.policyFile ? readPolicy(config.approval.policyFile) : undefined;
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openStore(config));
  const writer = options.writer ?? createWriter(config.llm, logger);
  const generatedKey = config.restServer.keys.length === 0 ? generateTestKey() : undefined;
  const keyRing = new KeyRing(generatedKey ? [generatedKey] : config.restServer.keys);

  // RETIVO_WEBHOOK_URL/SECRET are the live data set's endpoint, as under `serve`; the test
  // data set only simulates deliveries and never gets a real endpoint from the environment.
  const { backends, dispatcher } = await openLocalRetivo({
    store,
    tenants: TENANTS,
    seed: config.seed,
    writer,
    logger,
    outboxDir: config.outboxDir,
    webhook: config.webhook,
    simulate: (tenantId) => tenantId === "test",
    ...(options.now ? { now: options.now } : {}),
    dispatcher: { leaseMs: config.deliveryLeaseMs, ...options.dispatcher },
  });
  const openApi = buildOpenApiDocument();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = Date.now();
    let key: RestKey | undefined;
    try {
      const url = new URL(request.url ?? "/", "http://localhost");
      if (url.pathname === "/api/openapi.json" && request.method === "GET") {
        sendJson(response, 200, openApi);
        return;
      }
      const { route, id } = matchRoute(request.method ?? "GET", url.pathname);
      key = keyRing.authenticate(request.headers.authorization);
      if (!key) {
        request.resume();
        throw new AuthError(
          "Missing or unknown API key.",
          "Send Authorization: Bearer <key> with a key from RETIVO_API_KEYS (or the rt_test_ key the server printed at start).",
        );
      }
      // Counted in the store, so replicas behind one balancer share each key's budget.
      const rate = await store.rateLimits.take(key.rateBucket, config.restServer.ratePerMinute, options.now?.() ?? new Date());
      if (!rate.ok) {
        request.resume();
        throw new RateLimitedError(`Rate limit of ${config.restServer.ratePerMinute} requests a minute exceeded for this key.`, rate.retryAfterSeconds, `Retry after ${rate.retryAfterSeconds} s.`);
      }
      const { tenant, label } = key;
      const result = await route.handle({
        backend: backends.get(tenant)!,
        key,
        id,
        query: url.searchParams,
        body: () => readJsonBody(request),
        header: (name) => {
          const value = request.headers[name];
          return Array.isArray(value) ? value[0] : value;
        },
        requireOperator: async (action) => {
          await requireOperatorPassphrase(store, request.headers, tenant, { interventionId: id, key: label });
          if (id) await requireSoleOperatorAllowed(policy, store, backends.get(tenant)!, { tenant, action, interventionId: id, keyLabel: label });
        },
      });
      sendJson(response, result.status, result.body, result.headers);
    } catch (error) {
      const reply = errorReply(storeFaultOf(error, config) ?? error, logger);
      // A refused request may leave its body unread; closing the connection beats reading junk as the next request.
      if (!request.complete) reply.headers.connection = "close";
      sendJson(response, reply.status, reply.body, reply.headers);
    } finally {
      logger.debug({ method: request.method, path: request.url?.split("?")[0], status: response.statusCode, key: key?.label, ms: Date.now() - started }, "rest request");
    }
  };

  const server = createServer((request, response) => void handle(request, response));
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.restServer.port, config.restServer.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (options.startDispatcher !== false) dispatcher.start();
  const { port } = server.address() as AddressInfo;
  const host = config.restServer.host.includes(":") ? `[${config.restServer.host}]` : config.restServer.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, keys: keyRing.labels().map((k) => k.label) }, "Retivo REST API listening");

  return {
    url,
    port,
    keys: keyRing.labels(),
    generatedKey,
    dispatcher,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dispatcher.stop();
      if (ownsStore) await store.close();
    },
  };
}

function matchRoute(method: string, path: string): { route: Route; id: string } {
  const candidates = ROUTES.map((route) => ({ route, match: route.pattern.exec(path) })).filter((c) => c.match);
  if (candidates.length === 0) throw new NotFoundError(`No such endpoint: ${method} ${path}.`, "See GET /api/openapi.json.");
  const hit = candidates.find((c) => c.route.method === method);
  if (!hit) {
    const allow = [...new Set(candidates.map((c) => c.route.method))];
    throw new MethodNotAllowedError(`${method} is not allowed on ${path}; use ${allow.join(" or ")}.`, allow);
  }
  let id = hit.match![1] ?? "";
  try {
    id = decodeURIComponent(id);
  } catch {
    // Left encoded: the id schema then refuses it with a 400.
  }
  return { route: hit.route, id };
}
