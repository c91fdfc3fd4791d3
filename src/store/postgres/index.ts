/**
 * The PostgreSQL engine (RETIVO_DATABASE_URL): being built. Until it lands,
 * asking for it is a clear configuration error rather than a silent fallback.
 */
import { ConfigError } from "../../errors.js";
import type { Store } from "../port.js";

export async function openPostgresStore(_url: string): Promise<Store> {
  throw new ConfigError("RETIVO_DATABASE_URL: the PostgreSQL engine is not available in this build; unset it to use the SQLite store.");
}
