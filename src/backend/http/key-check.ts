/**
 * One cheap call to the Retivo API at start (a list of one), so that a key it
 * refuses is said at once and in plain words, instead of the client showing
 * "Connected" and every tool failing later. A refused key stops the start; an
 * API that cannot be reached now is only warned about, since it may come back
 * (and /readyz says so meanwhile).
 */
import { AuthError, ConfigError, ForbiddenError, RetivoError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { InterventionsBackend } from "../types.js";

/** The example keys of our own docs, which people paste unchanged. */
const DOC_PLACEHOLDERS = /your_key_here|_xxx|_…|\.\.\./;

export async function checkApiKeyAtStart(backend: InterventionsBackend, apiUrl: string, apiKey: string, logger: Logger): Promise<void> {
  try {
    await backend.ping();
    logger.info({ url: apiUrl }, "the Retivo API accepted the key");
  } catch (error) {
    if (error instanceof AuthError || error instanceof ForbiddenError) {
      const placeholder = DOC_PLACEHOLDERS.test(apiKey) ? " That is the placeholder from the setup docs, not a real key." : "";
      throw new ConfigError(
        `The Retivo API at ${apiUrl} refused RETIVO_API_KEY (HTTP ${error.httpStatus}).${placeholder} ` +
          "Put a current rt_live_/rt_test_ key from your Retivo settings in RETIVO_API_KEY, or unset it to use the local store. " +
          `(${error.message})`,
      );
    }
    const why = error instanceof RetivoError ? error.message : String(error);
    logger.warn({ url: apiUrl, why }, "could not check RETIVO_API_KEY at start (the Retivo API did not answer); starting anyway");
  }
}
