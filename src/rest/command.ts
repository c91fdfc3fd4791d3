/**
 * The `retivo-mcp api` subcommand: start the REST server, print a generated
 * test key once to stderr (stdout stays clean), and close on SIGINT/SIGTERM.
 */
import { isLoopbackHost, type Config } from "../config.js";
import type { Logger } from "../log.js";
import { startRestServer } from "./server.js";

export async function runApiCommand(config: Readonly<Config>, logger: Logger): Promise<void> {
  const server = await startRestServer({ config, logger });
  if (!isLoopbackHost(config.restServer.host)) {
    logger.warn(
      { host: config.restServer.host },
      "the REST API listens beyond loopback: unless an operator passphrase is set (retivo-mcp approvals passphrase), anyone with a key can approve and roll back",
    );
  }
  if (server.generatedKey) {
    process.stderr.write(
      `retivo-mcp api: no RETIVO_API_KEYS set; accepting this generated test key (test data set, deliveries simulated):\n` +
        `  ${server.generatedKey}\n`,
    );
  }
  process.stderr.write(`retivo-mcp api: listening on ${server.url} (OpenAPI at ${server.url}/api/openapi.json)\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
